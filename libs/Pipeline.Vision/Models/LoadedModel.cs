using Pipeline.Vision.Data;

namespace Pipeline.Vision.Models;

/// <summary>
/// A model in memory, ready to serve: the Detector's batches and a detector node's requests detect through it the same
/// way. <see cref="Gate"/> keeps one forward pass (or disposal) at a time: a forward pass already uses every core.
/// </summary>
public sealed class LoadedModel(Guid modelId, DetectorModel model) : IDisposable
{
    public Guid ModelId { get; } = modelId;
    public DetectorModel Model { get; } = model;
    public object Gate { get; } = new();

    /// <summary>Detects on image files: <see cref="DetectionOptions.BatchSize"/> per forward pass, the images decoded in parallel.</summary>
    public IReadOnlyList<ImageDetections> Detect(IReadOnlyList<DatasetImage> images, DetectionOptions options) =>
        ToContracts(Forward(() => Model.Detect(images, options.MinConfidence, Math.Max(1, options.BatchSize))), options);

    /// <summary>Detects on images already decoded at the model's resolution (<see cref="ImageDecoder.LoadResized"/>).</summary>
    public IReadOnlyList<ImageDetections> Detect(IReadOnlyList<ResizedImage> images, DetectionOptions options) =>
        ToContracts(Forward(() => Model.Detect(images, options.MinConfidence, Math.Max(1, options.BatchSize))), options);

    private IReadOnlyList<DetectedImage> Forward(Func<IReadOnlyList<DetectedImage>> detect)
    {
        lock (Gate)
        {
            return detect();
        }
    }

    // The model's decoder suppresses overlaps at its own default; this applies the configured threshold.
    private List<ImageDetections> ToContracts(IReadOnlyList<DetectedImage> found, DetectionOptions options) =>
        found.Select(image => (image with { Detections = BoxOps.Nms(image.Detections, options.NmsIou) }).ToContracts(ModelId)).ToList();

    public void Dispose()
    {
        lock (Gate)
        {
            Model.Dispose();
        }
    }
}

/// <summary>How a served model reports: the least confidence kept, the IoU over which overlaps are dropped, images per forward pass.</summary>
public sealed record DetectionOptions(float MinConfidence, float NmsIou, int BatchSize);
