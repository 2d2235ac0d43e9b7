namespace Pipeline.Orchestrator;

/// <summary>One reported batch of the detection fan-out.</summary>
public sealed record DetectedBatch
{
    public required string DetectionsKey { get; init; }
    public int ImageCount { get; init; }
    public int DetectionCount { get; init; }
}
