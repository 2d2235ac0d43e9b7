using Marten;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts;
using Pipeline.Hosting.Artifacts;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Uploader.Detections;

/// <summary>
/// Stores a training's detections, one document per image, and writes the COCO results export. The training's
/// documents are replaced in one transaction (delete, then write), so a redelivered command leaves exactly one
/// document per image and a retried training leaves no stale images behind.
/// </summary>
public sealed class DetectionRecorder(IDocumentStore documents, IArtifactStore store, ILogger<DetectionRecorder> logger)
{
    public async Task<RecordedDetections> RecordAsync(UploadDetections command, CancellationToken cancellationToken)
    {
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
        await using (var session = documents.LightweightSession())
        {
            var trainingId = command.TrainingId;
            session.DeleteWhere<StoredDetections>(detections => detections.TrainingId == trainingId);
            session.Store(stored.ToArray());
            await session.SaveChangesAsync(cancellationToken);
        }

        var exportKey = ArtifactKeys.DetectionExport(command.TrainingId);
        using (var export = new MemoryStream())
        {
            CocoResults.Write(export, stored);
            export.Position = 0;
            await store.WriteAsync(exportKey, export, cancellationToken);
        }

        var detectionCount = stored.Sum(image => image.Boxes.Count + image.Points.Count + image.Classifications.Count);
        logger.LogInformation("Stored {DetectionCount} detections over {ImageCount} images of {TrainingId}; export at {ExportKey}",
            detectionCount, stored.Count, command.TrainingId, exportKey);
        return new RecordedDetections(stored.Count, detectionCount, exportKey);
    }
}
