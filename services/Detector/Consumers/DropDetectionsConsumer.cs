using MassTransit;
using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Detector.Consumers;

/// <summary>Drops a training's detection batches once the Uploader has stored them.</summary>
public sealed class DropDetectionsConsumer(IArtifactStore store, ILogger<DropDetectionsConsumer> logger) : IConsumer<TrainingReadyForCleanup>
{
    public async Task Consume(ConsumeContext<TrainingReadyForCleanup> context)
    {
        await store.MarkEndedAsync(context.Message.TrainingId, context.CancellationToken);
        store.Delete(ArtifactKeys.Detections(context.Message.TrainingId));
        logger.LogInformation("Dropped the detection batches of {TrainingId}", context.Message.TrainingId);
    }
}
