using Marten;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Artifacts;
using Pipeline.Outbox;

namespace Pipeline.Uploader.Detections;

/// <summary>
/// Stores a training's detections, one document per image, and writes the COCO results exports (the confident ones, and
/// every one with the evaluated images' ground truth, scored as an outside evaluator would score them). The training's
/// documents are replaced in one transaction (delete, then write), so a redelivered command leaves exactly one
/// document per image and a retried training leaves no stale images behind. The DetectionsUploaded and the command's
/// inbox row commit with the documents, after the export is written.
/// </summary>
public sealed class DetectionRecorder(
    IDocumentStore documents, IArtifactStore store, OutboxStore outbox, OutboxDelivery delivery, IOptions<UploaderSettings> settings,
    ILogger<DetectionRecorder> logger)
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
        var images = new Dictionary<string, ImageDetections>();
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

                images[image.ImageId] = image;
            }
        }

        // The Detector reports down to the evaluation's own threshold: all of it goes to the full export, what is
        // confident enough to show is stored and exported as detections.coco.json.
        var all = order.Select(id => images[id]).ToList();
        var confident = all.Select(image => AtLeast(image, settings.Value.MinConfidence)).ToList();
        var stored = confident.Select(image => new StoredDetections
        {
            Id = StoredDetections.IdFor(command.TrainingId, image.ImageId),
            TrainingId = command.TrainingId, ModelId = command.ModelId, ImageId = image.ImageId,
            Boxes = image.Boxes ?? [], Points = image.Points ?? [], Classifications = image.Classifications ?? [],
        }).ToList();
        var exportKey = ArtifactKeys.DetectionExport(command.TrainingId);
        await WriteAsync(exportKey, output => CocoResults.Write(output, confident), cancellationToken);
        var fullExportKey = ArtifactKeys.FullDetectionExport(command.TrainingId);
        await WriteAsync(fullExportKey, output => CocoResults.Write(output, all), cancellationToken);
        // Without the dataset's key (a command from before it was sent) there is nothing to score against or to draw.
        var dataset = command.DatasetKey is null ? null : await ReadDatasetAsync(command.DatasetKey, cancellationToken);
        var (groundTruthKey, exportedMap) = dataset is null
            ? (null, null)
            : await ScoreExportAsync(command.TrainingId, dataset, fullExportKey, images.Keys.ToHashSet(), cancellationToken);
        if (dataset is not null)
        {
            await WriteSamplesAsync(command.TrainingId, dataset, confident, cancellationToken);
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
                FullExportKey = fullExportKey, GroundTruthKey = groundTruthKey, ExportedMeanAveragePrecision = exportedMap,
            });
            outbox.Write(session, announcement, Consumer, messageId);
            // A copy committing first fails this one on the inbox key; the retry then finds it consumed.
            await session.SaveChangesAsync(cancellationToken);
            delivery.Committed(announcement);
        }

        logger.LogInformation("Stored {DetectionCount} detections over {ImageCount} images of {TrainingId}; export at {ExportKey}, mAP@0.5 of the full export {ExportedMap}",
            recorded.DetectionCount, recorded.ImageCount, command.TrainingId, exportKey, exportedMap);
        return recorded with { FullExportKey = fullExportKey, GroundTruthKey = groundTruthKey, ExportedMeanAveragePrecision = exportedMap };
    }

    private async Task<VisionDataset> ReadDatasetAsync(string datasetKey, CancellationToken cancellationToken)
    {
        var manifest = await store.ReadAsync<DatasetManifest>(datasetKey, cancellationToken);
        return DatasetLoader.FromManifest(manifest, Path.GetDirectoryName(store.GetLocalPath(datasetKey))!, datasetKey);
    }

    /// <summary>
    /// Writes the ground truth of the images the training was evaluated on and scores the full export against it, read
    /// back from its file as a user's evaluator would read it.
    /// </summary>
    private async Task<(string? GroundTruthKey, double? MeanAveragePrecision)> ScoreExportAsync(
        Guid trainingId, VisionDataset dataset, string fullExportKey, IReadOnlySet<string> detectedImageIds, CancellationToken cancellationToken)
    {
        var groundTruthKey = ArtifactKeys.GroundTruthExport(trainingId);
        await WriteAsync(groundTruthKey, output => CocoResults.WriteGroundTruth(output, dataset.Categories, dataset.EvaluationImages), cancellationToken);
        IReadOnlyList<CocoResult> exported;
        await using (var input = await store.OpenReadAsync(fullExportKey, cancellationToken))
        {
            exported = CocoResults.Read(input);
        }

        return (groundTruthKey, ExportEvaluation.MeanAveragePrecision(dataset, exported, detectedImageIds));
    }

    /// <summary>
    /// Copies the first evaluated images that were detected on (else the first detected ones) into the export, with their
    /// ground truth and confident detections: the dataset they come from is dropped at cleanup, the export stays.
    /// </summary>
    private async Task WriteSamplesAsync(Guid trainingId, VisionDataset dataset, IReadOnlyList<ImageDetections> confident, CancellationToken cancellationToken)
    {
        var found = confident.ToDictionary(image => image.ImageId);
        var candidates = dataset.EvaluationImages.Where(image => found.ContainsKey(image.Id)).ToList();
        if (candidates.Count == 0)
        {
            candidates = dataset.Images.Where(image => found.ContainsKey(image.Id)).ToList();
        }

        var samples = new List<DetectionSample>();
        foreach (var (image, index) in candidates.Take(Math.Max(0, settings.Value.SampleImages)).Select((image, index) => (image, index)))
        {
            var file = $"{index:D2}{Path.GetExtension(image.Path).ToLowerInvariant()}";
            await using (var content = File.OpenRead(image.Path))
            {
                await store.WriteAsync(ArtifactKeys.SampleImage(trainingId, file), content, cancellationToken);
            }

            samples.Add(new DetectionSample
            {
                ImageId = image.Id, File = file, Width = image.Width, Height = image.Height,
                GroundTruth = image.Annotations.Select(annotation => annotation.ToManifest()).ToList(), Detections = found[image.Id],
            });
        }

        await store.WriteJsonAsync(ArtifactKeys.SamplesIndex(trainingId), new DetectionSamples { Categories = dataset.Categories, Images = samples }, cancellationToken);
    }

    private async Task WriteAsync(string key, Action<Stream> write, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream();
        write(content);
        content.Position = 0;
        await store.WriteAsync(key, content, cancellationToken);
    }

    private static ImageDetections AtLeast(ImageDetections image, float minConfidence) => image with
    {
        Boxes = (image.Boxes ?? []).Where(d => d.Confidence >= minConfidence).ToList(),
        Points = (image.Points ?? []).Where(d => d.Confidence >= minConfidence).ToList(),
        Classifications = (image.Classifications ?? []).Where(d => d.Confidence >= minConfidence).ToList(),
    };
}
