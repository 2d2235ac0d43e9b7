namespace Pipeline.Contracts;

/// <summary>A project's current model (what its <c>current</c> alias names), as a training that competes with it is told.</summary>
public sealed record CurrentModel
{
    public required Guid ModelId { get; init; }
    public required int Version { get; init; }

    /// <summary>Artifact key of the registered model's folder (weights + model.json, every file's sha256 in it).</summary>
    public required string ModelKey { get; init; }
    /// <summary>The sha256 the registry recorded for the model's model.json (see <see cref="ModelVersion.DescriptionSha256"/>).</summary>
    public string? DescriptionSha256 { get; init; }
}
