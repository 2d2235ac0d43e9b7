namespace Pipeline.Contracts;

/// <summary>Everything one model found in one image, in the learning loop's shapes.</summary>
public sealed record ImageDetections
{
    public required string ImageId { get; init; }
    public IReadOnlyList<BoxDetection> Boxes { get; init; } = [];
    public IReadOnlyList<PointDetection> Points { get; init; } = [];
    public IReadOnlyList<ClassificationDetection> Classifications { get; init; } = [];
}
