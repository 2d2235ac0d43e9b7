namespace Pipeline.Contracts;

public sealed record ManifestImage
{
    public required string Id { get; init; }
    public required string File { get; init; }
    public int Width { get; init; }
    public int Height { get; init; }

    /// <summary><c>train</c> or <c>test</c>.</summary>
    public string Split { get; init; } = "train";

    /// <summary>Lowercase hex sha256 of the file, checked when present.</summary>
    public string? Sha256 { get; init; }

    public IReadOnlyList<ManifestAnnotation> Annotations { get; init; } = [];
}
