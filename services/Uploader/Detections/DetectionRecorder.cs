using Marten;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts;
using Pipeline.Hosting.Artifacts;
using Pipeline.Hosting.Messaging;
using Pipeline.Outbox;

namespace Pipeline.Uploader.Detections;

/// <summary>
/// Stores a training's detections, one document per image, and writes the COCO results export. The training's
/// documents are replaced in one transaction (delete, then write), so a redelivered command leaves exactly one
/// document per image and a retried training leaves no stale images behind. The DetectionsUploaded and the command's
/// inbox row commit with the documents, after the export is written.
/// </summary>
public sealed class DetectionRecorder(
    IDocumentStore documents, IArtifactStore store, OutboxStore outbox, OutboxDelivery delivery, ILogger<DetectionRecorder> logger)
{
    /// <summary>The inbox's name for this consumer.</summary>
    public const string Consumer = StageQueues.UploadDetections;

    /// <summary>Stores the detections and commits the DetectionsUploaded that answers <paramref name="messageId"/>; null when a copy of it already did.</summary>
    public async Task<RecordedDetections?> RecordAsync(UploadDetections command, Guid messageId, CancellationToken cancellationToken)
    {
        await outbox.EnsureCreatedAsync(cancellationToken);
        if (await outbox.WasConsumedAsync(Consumer, messageId, cancellationToken))
        {
            logger.LogInformation("The detections of {TrainingId} for message {MessageId} are stored already", command.TrainingId, messageId);
            return null;
        }

        // An image met twice (a batch re-run) keeps its last detections and its first place in the order.
        var images = new Dictionary<string, StoredDetections>();
        var order = new List<string>();
        foreach (var key in command.DetectionKeys)
        {
            foreach (var image in await store.ReadAsync<List<ImageDetections>>(key, cancellationToken))
            {
                if (image is null || string.IsNullOrWhiteSpace(image.ImageId))
                {
                    throw new StageInputException($"Detection batch '{key}' holds an entry without an image id.");
                }

                if (!images.ContainsKey(image.ImageId))
                {
                    order.Add(image.ImageId);
                }

                images[image.ImageId] = new StoredDetections
                {
                    Id = StoredDetections.IdFor(command.TrainingId, image.ImageId),
                    TrainingId = command.TrainingId, ModelId = command.ModelId, ImageId = image.ImageId,
                    Boxes = image.Boxes ?? [], Points = image.Points ?? [], Classifications = image.Classifications ?? [],
                };
            }
        }

        var stored = order.Select(id => images[id]).ToList();
        var exportKey = ArtifactKeys.DetectionExport(command.TrainingId);
        using (var export = new MemoryStream())
        {
            CocoResults.Write(export, stored);
            export.Position = 0;
            await store.WriteAsync(exportKey, export, cancellationToken);
        }

        var recorded = new RecordedDetections(stored.Count, stored.Sum(image => image.Boxes.Count + image.Points.Count + image.Classifications.Count), exportKey);
        await using (var session = documents.LightweightSession())
        {
            var trainingId = command.TrainingId;
            session.DeleteWhere<StoredDetections>(detections => detections.TrainingId == trainingId);
            session.Store(stored.ToArray());
            var announcement = new OutboxBuffer();
            announcement.Publish(new DetectionsUploaded
            {
                TrainingId = command.TrainingId, Attempt = command.Attempt,
                ImageCount = recorded.ImageCount, DetectionCount = recorded.DetectionCount, ExportKey = exportKey,
            });
            outbox.Write(session, announcement, Consumer, messageId);
            // A copy committing first fails this one on the inbox key; the retry then finds it consumed.
            await session.SaveChangesAsync(cancellationToken);
            delivery.Committed(announcement);
        }

        logger.LogInformation("Stored {DetectionCount} detections over {ImageCount} images of {TrainingId}; export at {ExportKey}",
            recorded.DetectionCount, recorded.ImageCount, command.TrainingId, exportKey);
        return recorded;
    }
}
