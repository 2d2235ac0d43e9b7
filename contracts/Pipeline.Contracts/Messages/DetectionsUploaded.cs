namespace Pipeline.Contracts;

public sealed record DetectionsUploaded
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public int ImageCount { get; init; }
    public int DetectionCount { get; init; }

    /// <summary>Artifact key of the COCO results export.</summary>
    public required string ExportKey { get; init; }
}
