using MassTransit;
using Pipeline.Contracts;
using Pipeline.Artifacts;
using Pipeline.Trainer.Training;

namespace Pipeline.Trainer.Consumers;

/// <summary>Drops a training's checkpoints, trained model and lease once its results are stored (the registry holds its own copy) or it is cancelled.</summary>
public sealed class DropTrainerScratchConsumer(IArtifactStore store, ILogger<DropTrainerScratchConsumer> logger) : IConsumer<TrainingReadyForCleanup>
{
    public async Task Consume(ConsumeContext<TrainingReadyForCleanup> context)
    {
        var trainingId = context.Message.TrainingId;
        await store.MarkEndedAsync(trainingId, context.CancellationToken);
        store.Delete(ArtifactKeys.Checkpoints(trainingId));
        store.Delete(ArtifactKeys.TrainedModels(trainingId));
        // A Trainer still running it (cut off from the broker when the cancel went out) finds its lease gone and stops.
        store.Delete(TrainingLease.Key(trainingId));
        store.Delete(TrainingLease.MutexKey(trainingId));
        logger.LogInformation("Dropped the checkpoints and trained model of {TrainingId}", trainingId);
    }
}
