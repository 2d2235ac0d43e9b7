using Pipeline.Contracts;

namespace Pipeline.Uploader.Detections;

/// <summary>One image's detections by one training's model; the id makes a redelivered batch overwrite, not add.</summary>
public sealed record StoredDetections
{
    /// <summary><c>{trainingId:N}/{imageId}</c>.</summary>
    public required string Id { get; init; }
    public required Guid TrainingId { get; init; }
    public required Guid ModelId { get; init; }
    public required string ImageId { get; init; }
    public IReadOnlyList<BoxDetection> Boxes { get; init; } = [];
    public IReadOnlyList<PointDetection> Points { get; init; } = [];
    public IReadOnlyList<ClassificationDetection> Classifications { get; init; } = [];

    public static string IdFor(Guid trainingId, string imageId) => $"{trainingId:N}/{imageId}";
}
