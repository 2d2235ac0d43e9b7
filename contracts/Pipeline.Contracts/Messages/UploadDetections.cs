namespace Pipeline.Contracts;

public sealed record UploadDetections
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required Guid ModelId { get; init; }

    /// <summary>Artifact keys of every batch's detections, in batch order.</summary>
    public required IReadOnlyList<string> DetectionKeys { get; init; }

    /// <summary>The training's dataset manifest: its test split is the ground truth the export is scored against (none: not scored).</summary>
    public string? DatasetKey { get; init; }
}
