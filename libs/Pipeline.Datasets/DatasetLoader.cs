using System.Text.Json;

namespace Pipeline.Datasets;

/// <summary>Reads a manifest.json or a COCO JSON file into a <see cref="VisionDataset"/>, and writes both.</summary>
public static class DatasetLoader
{
    /// <summary>Loads either format, told apart by content: COCO images carry "file_name".</summary>
    public static VisionDataset Load(string path, DatasetSplit cocoDefaultSplit = DatasetSplit.Train)
    {
        using var document = Parse(path);
        var isCoco = document.RootElement.ValueKind == JsonValueKind.Object
            && document.RootElement.TryGetProperty("images", out var images)
            && images.ValueKind == JsonValueKind.Array
            && images.EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } first
            && first.TryGetProperty("file_name", out _);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return isCoco ? FromCoco(document, path, directory, cocoDefaultSplit) : FromManifest(Deserialize<DatasetManifest>(document, path), directory, path);
    }

    public static VisionDataset LoadManifest(string manifestPath)
    {
        using var document = Parse(manifestPath);
        return FromManifest(Deserialize<DatasetManifest>(document, manifestPath), Path.GetDirectoryName(Path.GetFullPath(manifestPath))!, manifestPath);
    }

    /// <summary>
    /// The pipeline's manifest in memory: the manifest's category order is the model's channel order; a box annotation
    /// is X/Y/Width/Height, a point annotation X/Y, a classification neither. An annotation of an undeclared category
    /// throws, naming <paramref name="source"/>.
    /// </summary>
    public static VisionDataset FromManifest(DatasetManifest manifest, string imageDirectory, string source = "manifest")
    {
        var categories = manifest.Categories;
        var byId = ById(categories, source);
        var images = manifest.Images.Select(image =>
        {
            var annotations = image.Annotations.Select(a =>
            {
                if (!byId.TryGetValue(a.CategoryId, out var category))
                {
                    throw new InvalidDataException($"{source}: image {image.Id} names unknown category {a.CategoryId}");
                }
                // The category's own id: one string per category, not one per annotation, however many images there are.
                return category.Type switch
                {
                    CategoryType.Box => new Annotation(category.Id, Box: new Box((float)a.X, (float)a.Y, (float)a.Width, (float)a.Height)),
                    CategoryType.Point => new Annotation(category.Id, Point: new Point2((float)a.X, (float)a.Y)),
                    _ => new Annotation(category.Id),
                };
            }).ToArray();
            var split = image.Split?.Trim().ToLowerInvariant() switch
            {
                null or "" or "train" => DatasetSplit.Train,
                "test" or "val" or "validation" => DatasetSplit.Test,
                var other => throw new InvalidDataException($"{source}: image {image.Id} has unknown split '{other}'"),
            };
            return new DatasetImage(image.Id, Path.GetFullPath(Path.Combine(imageDirectory, image.File)), image.Width, image.Height, split, annotations);
        }).ToList();
        return new VisionDataset(categories, images);
    }

    /// <summary>
    /// COCO detection JSON, converted to the pipeline's manifest by <see cref="CocoConverter"/> (as the Downloader
    /// does): every category is a box category with its COCO id as text. The split comes from a non-standard
    /// per-image "split" field when present, else <paramref name="defaultSplit"/> (COCO usually keeps splits in
    /// separate files). Bad input throws <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    public static VisionDataset LoadCoco(string cocoPath, string? imageDirectory = null, DatasetSplit defaultSplit = DatasetSplit.Train)
    {
        using var document = Parse(cocoPath);
        return FromCoco(document, cocoPath, imageDirectory ?? Path.GetDirectoryName(Path.GetFullPath(cocoPath))!, defaultSplit);
    }

    private static VisionDataset FromCoco(JsonDocument document, string cocoPath, string imageDirectory, DatasetSplit defaultSplit)
    {
        DatasetManifest manifest;
        try
        {
            manifest = CocoConverter.ToManifest(document.RootElement, defaultSplit == DatasetSplit.Test ? "test" : "train");
        }
        catch (Exception e) when (e is DatasetFormatException or JsonException)
        {
            throw new InvalidDataException($"{cocoPath}: {e.Message}", e);
        }

        return FromManifest(manifest, imageDirectory, cocoPath);
    }

    public static void SaveManifest(VisionDataset dataset, string manifestPath) =>
        File.WriteAllText(manifestPath, JsonSerializer.Serialize(
            dataset.ToManifest(Path.GetDirectoryName(Path.GetFullPath(manifestPath))!), ContractJson.Files));

    /// <summary>Writes the box annotations as COCO JSON (with the "split" extension), image ids numbered from 1.</summary>
    public static void SaveCoco(VisionDataset dataset, string cocoPath) =>
        File.WriteAllText(cocoPath, JsonSerializer.Serialize(
            CocoConverter.ToCoco(dataset, Path.GetDirectoryName(Path.GetFullPath(cocoPath))!), ContractJson.Files));

    private static Dictionary<string, Category> ById(IReadOnlyList<Category> categories, string source)
    {
        var byId = new Dictionary<string, Category>();
        foreach (var category in categories)
        {
            if (!byId.TryAdd(category.Id, category))
            {
                throw new InvalidDataException($"{source}: category id {category.Id} appears twice");
            }
        }

        return byId;
    }

    /// <summary>
    /// Parses the file's UTF-8 bytes once. A manifest of 20,000 images is megabytes: read as text, twice (once to tell the
    /// format, once to deserialize), its UTF-16 copies were a growing part of a training's peak memory.
    /// </summary>
    private static JsonDocument Parse(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static T Deserialize<T>(JsonDocument document, string path)
    {
        try
        {
            return document.Deserialize<T>(ContractJson.Files) ?? throw new InvalidDataException($"{path}: empty JSON document");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
