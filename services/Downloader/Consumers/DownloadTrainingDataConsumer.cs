using MassTransit;
using Pipeline.Contracts;
using Pipeline.Hosting.Messaging;
using Pipeline.Downloader.Datasets;

namespace Pipeline.Downloader.Consumers;

public sealed class DownloadTrainingDataConsumer(StageStarts starts, DatasetImporter importer, ILogger<DownloadTrainingDataConsumer> logger)
    : IConsumer<DownloadTrainingData>
{
    public async Task Consume(ConsumeContext<DownloadTrainingData> context)
    {
        var command = context.Message;
        logger.LogInformation("Fetching {DatasetUri} ({DatasetFormat}) for {TrainingId}", command.DatasetUri, command.DatasetFormat, command.TrainingId);
        await starts.PublishAsync(TrainingStages.DataDownloading, command.TrainingId, command.Attempt, context.CancellationToken);
        var dataset = await importer.ImportAsync(command, context.CancellationToken);
        await context.Publish(new TrainingDataDownloaded
        {
            TrainingId = command.TrainingId,
            Attempt = command.Attempt,
            DatasetKey = dataset.DatasetKey,
            DetectionListKey = dataset.DetectionListKey,
            Categories = dataset.Categories,
            TrainImageCount = dataset.TrainImageCount,
            TestImageCount = dataset.TestImageCount,
            DetectionImageCount = dataset.DetectionImageCount,
            SkippedImageCount = dataset.SkippedImageCount,
            SkippedImagesByReason = dataset.SkippedByReason ?? new Dictionary<ImageSkipReason, int>(),
            HeldOutImageCount = dataset.HeldOutImageCount,
            InboxImageCount = dataset.InboxImageCount,
            InboxSkippedCount = dataset.InboxSkippedCount,
        }, context.CancellationToken);
    }
}
