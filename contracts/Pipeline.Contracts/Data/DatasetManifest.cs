namespace Pipeline.Contracts;

/// <summary>A dataset: categories plus images with their split and annotations; file names are relative to the manifest.</summary>
public sealed record DatasetManifest
{
    public required IReadOnlyList<Category> Categories { get; init; }
    public required IReadOnlyList<ManifestImage> Images { get; init; }
}
