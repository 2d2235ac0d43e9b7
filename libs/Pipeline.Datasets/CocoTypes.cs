using System.Text.Json.Serialization;

namespace Pipeline.Datasets;

// The subset of COCO detection JSON this library writes (it reads COCO as a JsonElement: CocoConverter.ToManifest).

public sealed record CocoFile
{
    [JsonPropertyName("images")] public required IReadOnlyList<CocoImage> Images { get; init; }
    [JsonPropertyName("annotations")] public IReadOnlyList<CocoAnnotation> Annotations { get; init; } = [];
    [JsonPropertyName("categories")] public required IReadOnlyList<CocoCategory> Categories { get; init; }
}

public sealed record CocoImage
{
    [JsonPropertyName("id")] public required long Id { get; init; }
    [JsonPropertyName("file_name")] public required string FileName { get; init; }
    [JsonPropertyName("width")] public required int Width { get; init; }
    [JsonPropertyName("height")] public required int Height { get; init; }
    /// <summary>Not COCO: an optional "train"/"test" so one file can carry both splits.</summary>
    [JsonPropertyName("split")] public string? Split { get; init; }
}

public sealed record CocoAnnotation
{
    [JsonPropertyName("id")] public long Id { get; init; }
    [JsonPropertyName("image_id")] public required long ImageId { get; init; }
    [JsonPropertyName("category_id")] public required int CategoryId { get; init; }
    /// <summary>[x, y, width, height] in pixels.</summary>
    [JsonPropertyName("bbox")] public required float[] Bbox { get; init; }
    [JsonPropertyName("area")] public float Area { get; init; }
    [JsonPropertyName("iscrowd")] public int IsCrowd { get; init; }
}

public sealed record CocoCategory
{
    [JsonPropertyName("id")] public required int Id { get; init; }
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("supercategory")] public string? Supercategory { get; init; }
}
