using System.Text.Json;

namespace Pipeline.Vision.Data;

/// <summary>Reads a manifest.json or a COCO JSON file into a <see cref="VisionDataset"/>.</summary>
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
        var manifest = Read<DatasetManifest>(manifestPath, VisionJson.Options);
        return FromManifest(manifest, Path.GetDirectoryName(Path.GetFullPath(manifestPath))!, manifestPath);
    }

    public static VisionDataset FromManifest(DatasetManifest manifest, string imageDirectory, string source = "manifest")
    {
        var categories = manifest.Categories.Select(c => new Category(c.Id, c.Name, c.Type)).ToList();
        var byId = ById(categories, source);
        var images = manifest.Images.Select(image =>
        {
            var annotations = image.Annotations.Select(a =>
            {
                if (!byId.TryGetValue(a.CategoryId, out var category))
                    throw new InvalidDataException($"{source}: image {image.Id} names unknown category {a.CategoryId}");
                return category.Type switch
                {
                    CategoryType.Box when a.Box is { } b => new Annotation(a.CategoryId, Box: new Box(b.X, b.Y, b.Width, b.Height)),
                    CategoryType.Point when a.Point is { } p => new Annotation(a.CategoryId, Point: new Point2(p.X, p.Y)),
                    CategoryType.Classification => new Annotation(a.CategoryId),
                    _ => throw new InvalidDataException(
                        $"{source}: image {image.Id}: an annotation of {category.Type} category '{category.Name}' lacks its {category.Type.ToString().ToLowerInvariant()}"),
                };
            }).ToList();
            return new DatasetImage(image.Id, Path.GetFullPath(Path.Combine(imageDirectory, image.File)), image.Width, image.Height, image.Split, annotations);
        }).ToList();
        return new VisionDataset(categories, images);
    }

    /// <summary>
    /// COCO detection JSON: every category is a box category. The split comes from a non-standard per-image
    /// "split" field when present, else <paramref name="defaultSplit"/> (COCO usually keeps splits in separate files).
    /// </summary>
    public static VisionDataset LoadCoco(string cocoPath, string? imageDirectory = null, DatasetSplit defaultSplit = DatasetSplit.Train)
    {
        var coco = Read<CocoFile>(cocoPath, VisionJson.Options);
        var directory = imageDirectory ?? Path.GetDirectoryName(Path.GetFullPath(cocoPath))!;
        var categories = coco.Categories.Select(c => new Category(c.Id, c.Name, CategoryType.Box)).ToList();
        var byId = ById(categories, cocoPath);
        var annotationsByImage = coco.Annotations
            .Where(a => a.IsCrowd == 0)
            .GroupBy(a => a.ImageId)
            .ToDictionary(g => g.Key, g => g.OrderBy(a => a.Id).Select(a =>
            {
                if (!byId.ContainsKey(a.CategoryId))
                    throw new InvalidDataException($"{cocoPath}: annotation {a.Id} names unknown category {a.CategoryId}");
                if (a.Bbox is not { Length: 4 })
                    throw new InvalidDataException($"{cocoPath}: annotation {a.Id} has a bbox without 4 numbers");
                return new Annotation(a.CategoryId, Box: new Box(a.Bbox[0], a.Bbox[1], a.Bbox[2], a.Bbox[3]));
            }).ToList());
        var images = coco.Images.Select(i => new DatasetImage(
            i.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Path.GetFullPath(Path.Combine(directory, i.FileName)), i.Width, i.Height,
            i.Split switch
            {
                null => defaultSplit,
                "train" => DatasetSplit.Train,
                "test" or "val" => DatasetSplit.Test,
                var other => throw new InvalidDataException($"{cocoPath}: image {i.Id} has unknown split '{other}'"),
            },
            annotationsByImage.GetValueOrDefault(i.Id) ?? [])).ToList();
        return new VisionDataset(categories, images);
    }

    public static void SaveManifest(VisionDataset dataset, string manifestPath) =>
        File.WriteAllText(manifestPath, JsonSerializer.Serialize(
            dataset.ToManifest(Path.GetDirectoryName(Path.GetFullPath(manifestPath))!), VisionJson.Options));

    /// <summary>Writes the box annotations as COCO JSON (with the "split" extension), image ids numbered from 1.</summary>
    public static void SaveCoco(VisionDataset dataset, string cocoPath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(cocoPath))!;
        var boxCategories = dataset.Categories.Where(c => c.Type == CategoryType.Box).ToList();
        var images = new List<CocoImage>();
        var annotations = new List<CocoAnnotation>();
        foreach (var (image, index) in dataset.Images.Select((image, index) => (image, index)))
        {
            images.Add(new CocoImage
            {
                Id = index + 1, FileName = Path.GetRelativePath(directory, image.Path), Width = image.Width, Height = image.Height,
                Split = image.Split == DatasetSplit.Train ? "train" : "test",
            });
            foreach (var a in image.Annotations.Where(a => a.Box is not null))
            {
                var b = a.Box!.Value;
                annotations.Add(new CocoAnnotation
                {
                    Id = annotations.Count + 1, ImageId = index + 1, CategoryId = a.CategoryId,
                    Bbox = [b.X, b.Y, b.Width, b.Height], Area = b.Area,
                });
            }
        }
        var coco = new CocoFile
        {
            Images = images, Annotations = annotations,
            Categories = boxCategories.Select(c => new CocoCategory { Id = c.Id, Name = c.Name, Supercategory = "shape" }).ToList(),
        };
        File.WriteAllText(cocoPath, JsonSerializer.Serialize(coco, VisionJson.Options));
    }

    private static Dictionary<int, Category> ById(IReadOnlyList<Category> categories, string source)
    {
        var byId = new Dictionary<int, Category>();
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
