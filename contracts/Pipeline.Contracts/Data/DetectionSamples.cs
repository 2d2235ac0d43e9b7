namespace Pipeline.Contracts;

/// <summary>
/// A few of a training's evaluated images with their ground truth and the model's detections, kept in the training's
/// export (its dataset is dropped at cleanup): what the training page draws.
/// </summary>
public sealed record DetectionSamples
{
    public required IReadOnlyList<Category> Categories { get; init; }
    public required IReadOnlyList<DetectionSample> Images { get; init; }
}
