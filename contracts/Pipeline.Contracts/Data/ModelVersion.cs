namespace Pipeline.Contracts;

/// <summary>A registered model: the registry's document, read by the Downloader and the status API.</summary>
public sealed record ModelVersion
{
    public required Guid Id { get; init; }
    public required string Organization { get; init; }
    public required string Project { get; init; }

    /// <summary>1, 2, 3… per project, without gaps or duplicates.</summary>
    public required int Version { get; init; }

    public required Guid TrainingId { get; init; }

    /// <summary>Artifact key of the registered model's folder (weights + model.json).</summary>
    public required string ModelKey { get; init; }
    /// <summary>
    /// The sha256 of the model's model.json as the registry recorded it (model.json lists every other file's sha256):
    /// a service that loads the model checks the folder against this, so files swapped in the artifact store together with
    /// their model.json are refused. Null for a model registered before the registry recorded it.
    /// </summary>
    public string? DescriptionSha256 { get; init; }

    public required IReadOnlyList<Category> Categories { get; init; }
    public required TrainingMetrics Metrics { get; init; }
    public required IReadOnlyList<ModelFile> Files { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Whether this is the project's current model now: what a detector node that follows the project loads.</summary>
    public bool IsCurrent { get; init; }

    /// <summary>Whether it was promoted and why (null for a model registered before promotion was decided).</summary>
    public PromotionDecision? Promotion { get; init; }
}
