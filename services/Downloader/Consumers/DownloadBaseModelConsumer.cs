using MassTransit;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts;
using Pipeline.Downloader.Models;

namespace Pipeline.Downloader.Consumers;

public sealed class DownloadBaseModelConsumer(BaseModelFetcher fetcher, ILogger<DownloadBaseModelConsumer> logger)
    : IConsumer<DownloadBaseModel>
{
    public async Task Consume(ConsumeContext<DownloadBaseModel> context)
    {
        var command = context.Message;
        logger.LogInformation("Fetching base model {ModelId} for {TrainingId}", command.ModelId, command.TrainingId);
        var modelKey = await fetcher.FetchAsync(command.TrainingId, command.ModelId, context.CancellationToken);
        await context.Publish(new BaseModelDownloaded
        {
            TrainingId = command.TrainingId,
            Attempt = command.Attempt,
            ModelId = command.ModelId,
            ModelKey = modelKey,
        });
    }
}
