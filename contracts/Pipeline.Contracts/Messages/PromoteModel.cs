namespace Pipeline.Contracts;

/// <summary>
/// A user's override (<c>pipeline promote</c>): the model becomes its project's current one whatever the metrics. Sent to
/// the Uploader, which owns the registry, and answered by <see cref="ModelPromoted"/>.
/// </summary>
public sealed record PromoteModel
{
    public required Guid ModelId { get; init; }
    public string? Reason { get; init; }
}
