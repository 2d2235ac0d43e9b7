using Microsoft.Extensions.Options;
using Pipeline.Artifacts;

namespace Pipeline.DetectorNode.Outbox;

/// <summary>
/// Moves the outbox's items, oldest first, into the project's inbox in the artifact store: the image, then
/// detections.json last, so an item in the inbox is complete once that file exists. An item leaves the local outbox only
/// after both are written; a failed upload stays and is tried again after <c>RetryInterval</c>.
/// </summary>
public sealed class InboxUploader(IArtifactStore store, UncertainOutbox outbox, IOptions<DetectorNodeSettings> options, ILogger<InboxUploader> logger)
    : BackgroundService
{
    private DetectorNodeSettings Settings => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var failed = false;
            foreach (var item in outbox.Waiting())
            {
                try
                {
                    await UploadAsync(item, stoppingToken);
                    outbox.Remove(item);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is IOException or UnauthorizedAccessException)
                {
                    if (!Directory.Exists(item.Folder))
                    {
                        continue; // dropped from a full outbox while it was being read
                    }

                    logger.LogWarning("Uploading outbox item {ItemId} failed ({Reason}); it stays in the outbox and is tried again in {RetryInterval}",
                        item.Id, e.Message, Settings.RetryInterval);
                    failed = true;
                    break;
                }
            }

            try
            {
                // After a failure, wait out the interval even while items keep arriving; otherwise wake for the next one.
                await (failed ? Task.Delay(Settings.RetryInterval, stoppingToken) : outbox.WaitForItemAsync(TimeSpan.FromSeconds(30), stoppingToken));
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task UploadAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        var key = ArtifactKeys.InboxItem(Settings.Organization, Settings.Project, item.Id);
        await using (var image = File.OpenRead(Path.Combine(item.Folder, item.ImageFile)))
        {
            await store.WriteAsync($"{key}/{item.ImageFile}", image, cancellationToken);
        }

        await using (var detections = File.OpenRead(Path.Combine(item.Folder, UncertainOutbox.DetectionsFile)))
        {
            await store.WriteAsync($"{key}/{UncertainOutbox.DetectionsFile}", detections, cancellationToken);
        }

        logger.LogInformation("Outbox item {ItemId} is in the inbox at {InboxKey}", item.Id, key);
    }
}
