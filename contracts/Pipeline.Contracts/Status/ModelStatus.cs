namespace Pipeline.Contracts;

public sealed record ModelStatus
{
    public required Guid? ModelId { get; init; }
    public required int? Version { get; init; }
    public required string? ModelKey { get; init; }
}
