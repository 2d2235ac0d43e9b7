namespace Pipeline.Contracts;

/// <summary>
/// Published when a project's <c>current</c> alias moves to a model (it beat the current one on the new training's
/// test split, or a user promoted it): the detector nodes that follow the project load it and swap.
/// </summary>
public sealed record ModelPromoted
{
    public required string Organization { get; init; }
    public required string Project { get; init; }
    public required Guid ModelId { get; init; }
    public required int Version { get; init; }

    /// <summary>Artifact key of the registered model's folder (weights + model.json).</summary>
    public required string ModelKey { get; init; }
    /// <summary>The sha256 the registry recorded for the model's model.json (see <see cref="ModelVersion.DescriptionSha256"/>).</summary>
    public string? DescriptionSha256 { get; init; }

    /// <summary>Why it was promoted, in words a user reads ("mAP@0.5 0.951 beats version 3's 0.912 on the test split").</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset PromotedAt { get; init; }
}
