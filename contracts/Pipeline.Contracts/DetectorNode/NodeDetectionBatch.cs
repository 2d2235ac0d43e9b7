namespace Pipeline.Contracts;

/// <summary>A detector node's answer to <c>POST /detect/batch</c>: one entry per image, in the order sent, all from one model.</summary>
public sealed record NodeDetectionBatch
{
    public required Guid ModelId { get; init; }
    public required int ModelVersion { get; init; }
    public required IReadOnlyList<ImageDetections> Images { get; init; }
}
