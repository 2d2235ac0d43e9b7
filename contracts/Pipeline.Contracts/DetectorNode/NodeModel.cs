namespace Pipeline.Contracts;

/// <summary>What a detector node serves (<c>GET /model</c>): the loaded model, and whether it follows its project or is pinned.</summary>
public sealed record NodeModel
{
    public required string Organization { get; init; }
    public required string Project { get; init; }

    /// <summary>The version configured to stay on; null when the node follows the project's <c>current</c> alias.</summary>
    public int? PinnedVersion { get; init; }

    public required Guid ModelId { get; init; }
    public required int Version { get; init; }
    public required string ModelKey { get; init; }
    public required IReadOnlyList<Category> Categories { get; init; }
    public required DateTimeOffset LoadedAt { get; init; }

    /// <summary>When the project's <c>current</c> alias moved to this model; null for a pinned version or one never promoted.</summary>
    public DateTimeOffset? PromotedAt { get; init; }
}
