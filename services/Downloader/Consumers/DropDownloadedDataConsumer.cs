using MassTransit;
using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Consumers;

/// <summary>Drops what the Downloader put into a training's scratch once the training's results are stored.</summary>
public sealed class DropDownloadedDataConsumer(IArtifactStore store, ILogger<DropDownloadedDataConsumer> logger)
    : IConsumer<TrainingReadyForCleanup>
{
    public async Task Consume(ConsumeContext<TrainingReadyForCleanup> context)
    {
        var trainingId = context.Message.TrainingId;
        await store.MarkEndedAsync(trainingId, context.CancellationToken);
        store.Delete(ArtifactKeys.Datasets(trainingId));
        store.Delete(ArtifactKeys.BaseModels(trainingId));
        logger.LogInformation("Dropped the dataset and base model of {TrainingId}", trainingId);
    }
}
