using MassTransit;
using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Trainer.Consumers;

/// <summary>Drops a training's checkpoints and trained model once its results are stored (the registry holds its own copy).</summary>
public sealed class DropTrainerScratchConsumer(IArtifactStore store, ILogger<DropTrainerScratchConsumer> logger) : IConsumer<TrainingReadyForCleanup>
{
    public Task Consume(ConsumeContext<TrainingReadyForCleanup> context)
    {
        var trainingId = context.Message.TrainingId;
        store.Delete(ArtifactKeys.Checkpoints(trainingId));
        store.Delete(ArtifactKeys.TrainedModels(trainingId));
        logger.LogInformation("Dropped the checkpoints and trained model of {TrainingId}", trainingId);
        return Task.CompletedTask;
    }
}
