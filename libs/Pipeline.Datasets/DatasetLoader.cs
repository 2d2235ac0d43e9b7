using Pipeline.Contracts;
using System.Text.Json;

namespace Pipeline.Datasets;

/// <summary>Reads a manifest.json or a COCO JSON file into a <see cref="VisionDataset"/>, and writes both.</summary>
public static class DatasetLoader
{
    /// <summary>Loads either format, told apart by content: COCO images carry "file_name".</summary>
    public static VisionDataset Load(string path, DatasetSplit cocoDefaultSplit = DatasetSplit.Train)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var isCoco = document.RootElement.TryGetProperty("images", out var images)
            && images.ValueKind == JsonValueKind.Array
            && images.EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } first
            && first.TryGetProperty("file_name", out _);
        return isCoco ? LoadCoco(path, imageDirectory: null, cocoDefaultSplit) : LoadManifest(path);
    }

    public static VisionDataset LoadManifest(string manifestPath)
    {
        var manifest = Read<DatasetManifest>(manifestPath, ContractJson.Files);
        return FromManifest(manifest, Path.GetDirectoryName(Path.GetFullPath(manifestPath))!, manifestPath);
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
                    throw new InvalidDataException($"{source}: image {image.Id} names unknown category {a.CategoryId}");
                return category.Type switch
                {
                    CategoryType.Box => new Annotation(a.CategoryId, Box: new Box((float)a.X, (float)a.Y, (float)a.Width, (float)a.Height)),
                    CategoryType.Point => new Annotation(a.CategoryId, Point: new Point2((float)a.X, (float)a.Y)),
                    _ => new Annotation(a.CategoryId),
                };
            }).ToList();
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
        var directory = imageDirectory ?? Path.GetDirectoryName(Path.GetFullPath(cocoPath))!;
        DatasetManifest manifest;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(cocoPath));
            manifest = CocoConverter.ToManifest(document.RootElement, defaultSplit == DatasetSplit.Test ? "test" : "train");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{cocoPath}: {e.Message}", e);
        }
        catch (DatasetFormatException e)
        {
            throw new InvalidDataException($"{cocoPath}: {e.Message}", e);
        }

        return FromManifest(manifest, directory, cocoPath);
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
            if (!byId.TryAdd(category.Id, category))
                throw new InvalidDataException($"{source}: category id {category.Id} appears twice");
        return byId;
    }

    private static T Read<T>(string path, JsonSerializerOptions options)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), options)
                ?? throw new InvalidDataException($"{path}: empty JSON document");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
