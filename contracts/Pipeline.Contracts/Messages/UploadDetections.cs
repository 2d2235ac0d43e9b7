namespace Pipeline.Contracts;

public sealed record UploadDetections
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required Guid ModelId { get; init; }

    /// <summary>Artifact keys of every batch's detections, in batch order.</summary>
    public required IReadOnlyList<string> DetectionKeys { get; init; }
}
