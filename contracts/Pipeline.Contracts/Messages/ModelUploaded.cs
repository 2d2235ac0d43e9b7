namespace Pipeline.Contracts;

public sealed record ModelUploaded
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }
    public required Guid ModelId { get; init; }
    public required int Version { get; init; }

    /// <summary>Artifact key of the registered model's folder.</summary>
    public required string ModelKey { get; init; }
    /// <summary>The sha256 the registry recorded for the model's model.json (see <see cref="ModelVersion.DescriptionSha256"/>).</summary>
    public string? DescriptionSha256 { get; init; }
}
