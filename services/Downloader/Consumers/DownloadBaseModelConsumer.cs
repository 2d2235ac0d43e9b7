using MassTransit;
using Pipeline.Contracts;
using Pipeline.Hosting.Messaging;
using Pipeline.Downloader.Models;

namespace Pipeline.Downloader.Consumers;

public sealed class DownloadBaseModelConsumer(StageStarts starts, BaseModelFetcher fetcher, ILogger<DownloadBaseModelConsumer> logger)
    : IConsumer<DownloadBaseModel>
{
    public async Task Consume(ConsumeContext<DownloadBaseModel> context)
    {
        var command = context.Message;
        logger.LogInformation("Fetching base model {ModelId} for {TrainingId}", command.ModelId, command.TrainingId);
        await starts.PublishAsync(TrainingStages.TrainModelDownloading, command.TrainingId, command.Attempt, context.CancellationToken);
        var modelKey = await fetcher.FetchAsync(command.TrainingId, command.Attempt, command.ModelId, command.DescriptionSha256, context.CancellationToken);
        await context.Publish(new BaseModelDownloaded
        {
            TrainingId = command.TrainingId,
            Attempt = command.Attempt,
            ModelId = command.ModelId,
            ModelKey = modelKey,
        }, context.CancellationToken);
    }
}
