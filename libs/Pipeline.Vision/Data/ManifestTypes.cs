using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Vision.Data;

// The dataset manifest as it lies on disk (manifest.json). Records only; loading lives in DatasetLoader.

public enum CategoryType
{
    [JsonStringEnumMemberName("box")] Box,
    [JsonStringEnumMemberName("point")] Point,
    [JsonStringEnumMemberName("classification")] Classification,
}

public enum DatasetSplit
{
    [JsonStringEnumMemberName("train")] Train,
    [JsonStringEnumMemberName("test")] Test,
}

public sealed record DatasetManifest
{
    public required IReadOnlyList<ManifestCategory> Categories { get; init; }
    public required IReadOnlyList<ManifestImage> Images { get; init; }
}

public sealed record ManifestCategory
{
    public required int Id { get; init; }
    public required string Name { get; init; }
    public required CategoryType Type { get; init; }
}

public sealed record ManifestImage
{
    public required string Id { get; init; }
    /// <summary>Path relative to the manifest's folder.</summary>
    public required string File { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required DatasetSplit Split { get; init; }
    public IReadOnlyList<ManifestAnnotation> Annotations { get; init; } = [];
}

/// <summary>A box (pixels, top-left origin), a point, or neither for an image-level classification.</summary>
public sealed record ManifestAnnotation
{
    public required int CategoryId { get; init; }
    public ManifestBox? Box { get; init; }
    public ManifestPoint? Point { get; init; }
}

public sealed record ManifestBox
{
    public required float X { get; init; }
    public required float Y { get; init; }
    public required float Width { get; init; }
    public required float Height { get; init; }
}

public sealed record ManifestPoint
{
    public required float X { get; init; }
    public required float Y { get; init; }
}

public static class VisionJson
{
    /// <summary>camelCase, enums as their lower-case names, indented: every JSON file this library writes.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
