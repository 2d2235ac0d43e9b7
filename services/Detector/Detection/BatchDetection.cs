using Pipeline.Hosting;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Artifacts;
using Pipeline.Vision.Models;

namespace Pipeline.Detector.Detection;

/// <summary>
/// One batch of the detection fan-out, without a bus: the slice of the detection list, the model (cached), batched
/// inference with NMS, and the batch's detections as a JSON array of <see cref="ImageDetections"/> in the store.
/// </summary>
public sealed class BatchDetection(IArtifactStore store, ModelCache models, IOptions<DetectorSettings> options, ILogger<BatchDetection> logger)
{
    private readonly DetectorSettings settings = options.Value;

    public async Task<WrittenDetections> DetectAsync(DetectImages command, CancellationToken cancellationToken)
    {
        var key = ArtifactKeys.DetectionBatch(command.TrainingId, command.Attempt, command.BatchIndex);
        // A batch file is written whole (beside it, then renamed): one that exists is this attempt's batch, complete. A
        // second delivery answers with it rather than writing it again under the Uploader that reads it.
        if (store.Exists(key))
        {
            var written = await store.ReadAsync<List<ImageDetections>>(key, cancellationToken);
            logger.LogInformation("Batch {BatchIndex} of {TrainingId} attempt {Attempt} is detected already: answering with it",
                command.BatchIndex, command.TrainingId, command.Attempt);
            return new WrittenDetections(key, written.Count, Count(written));
        }

        var images = await ReadImagesAsync(command, cancellationToken);
        var loaded = await models.GetAsync(command.ModelId, command.ModelKey, command.ModelDescriptionSha256, cancellationToken);
        var detections = loaded.Detect(images, new DetectionOptions(settings.MinConfidence, settings.NmsIou, settings.InferenceBatchSize));
        await store.WriteJsonAsync(key, detections, cancellationToken);
        PipelineMetrics.ImagesDetected.Add(detections.Count);
        var count = Count(detections);
        logger.LogInformation("Detected batch {BatchIndex} of {BatchCount} of {TrainingId}: {DetectionCount} detections on {ImageCount} images",
            command.BatchIndex, command.BatchCount, command.TrainingId, count, detections.Count);
        return new WrittenDetections(key, detections.Count, count);
    }

    private static int Count(IReadOnlyList<ImageDetections> detections) =>
        detections.Sum(d => d.Boxes.Count + d.Points.Count + d.Classifications.Count);

    private async Task<List<DatasetImage>> ReadImagesAsync(DetectImages command, CancellationToken cancellationToken)
    {
        var imageIds = await store.ReadAsync<List<string>>(command.DetectionListKey, cancellationToken);
        if (command.FirstImageIndex < 0 || command.ImageCount < 0 || command.FirstImageIndex + command.ImageCount > imageIds.Count)
        {
            throw new StageInputException(
                $"Batch {command.BatchIndex} asks for images [{command.FirstImageIndex}, {command.FirstImageIndex + command.ImageCount}) " +
                $"of a detection list of {imageIds.Count} at '{command.DetectionListKey}'.");
        }

        var manifest = await store.ReadAsync<DatasetManifest>(command.DatasetKey, cancellationToken);
        var folder = Path.GetDirectoryName(store.GetLocalPath(command.DatasetKey))!;
        var byId = manifest.Images.ToDictionary(image => image.Id);
        return imageIds.GetRange(command.FirstImageIndex, command.ImageCount).Select(id =>
        {
            if (!byId.TryGetValue(id, out var image))
            {
                throw new StageInputException($"Image '{id}' of the detection list is not in the dataset at '{command.DatasetKey}'.");
            }

            return new DatasetImage(image.Id, Path.GetFullPath(Path.Combine(folder, image.File)), image.Width, image.Height, DatasetSplit.Test, []);
        }).ToList();
    }
}
