namespace Pipeline.Contracts;

public sealed record BaseModelDownloaded
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required Guid ModelId { get; init; }

    /// <summary>Artifact key of the folder holding the verified model files and model.json.</summary>
    public required string ModelKey { get; init; }
}
