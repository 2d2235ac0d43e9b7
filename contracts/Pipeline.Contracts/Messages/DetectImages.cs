namespace Pipeline.Contracts;

/// <summary>One batch of the detection fan-out: images [FirstImageIndex, FirstImageIndex + ImageCount) of the detection list.</summary>
public sealed record DetectImages
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required int BatchIndex { get; init; }
    public required int BatchCount { get; init; }
    public required string DatasetKey { get; init; }
    public required string DetectionListKey { get; init; }
    public required int FirstImageIndex { get; init; }
    public required int ImageCount { get; init; }
    public required Guid ModelId { get; init; }
    public required string ModelKey { get; init; }
    /// <summary>The sha256 the registry recorded for the model's model.json (see <see cref="ModelVersion.DescriptionSha256"/>).</summary>
    public string? ModelDescriptionSha256 { get; init; }
}
