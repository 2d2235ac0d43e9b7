namespace Pipeline.Contracts;

public sealed record ImagesDetected
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required int BatchIndex { get; init; }

    /// <summary>Artifact key of the batch's JSON array of <see cref="ImageDetections"/>.</summary>
    public required string DetectionsKey { get; init; }

    public int ImageCount { get; init; }
    public int DetectionCount { get; init; }
}
