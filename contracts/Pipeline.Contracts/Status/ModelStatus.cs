namespace Pipeline.Contracts;

public sealed record ModelStatus(Guid? ModelId, int? Version, string? ModelKey);
