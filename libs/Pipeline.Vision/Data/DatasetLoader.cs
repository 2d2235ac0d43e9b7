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
    /// COCO detection JSON, converted to the pipeline's manifest (as the Downloader does): every category is a box
    /// category with its COCO id as text. The split comes from a non-standard per-image "split" field when present,
    /// else <paramref name="defaultSplit"/> (COCO usually keeps splits in separate files).
    /// </summary>
    public static VisionDataset LoadCoco(string cocoPath, string? imageDirectory = null, DatasetSplit defaultSplit = DatasetSplit.Train)
    {
        var directory = imageDirectory ?? Path.GetDirectoryName(Path.GetFullPath(cocoPath))!;
        return FromManifest(CocoToManifest(Read<CocoFile>(cocoPath, VisionJson.Options), cocoPath, defaultSplit), directory, cocoPath);
    }

    public static DatasetManifest CocoToManifest(CocoFile coco, string source, DatasetSplit defaultSplit = DatasetSplit.Train)
    {
        static string Text(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var known = coco.Categories.Select(c => c.Id).ToHashSet();
        var annotationsByImage = coco.Annotations
            .Where(a => a.IsCrowd == 0)
            .GroupBy(a => a.ImageId)
            .ToDictionary(g => g.Key, g => g.OrderBy(a => a.Id).Select(a =>
            {
                if (!known.Contains(a.CategoryId))
                    throw new InvalidDataException($"{source}: annotation {a.Id} names unknown category {a.CategoryId}");
                if (a.Bbox is not { Length: 4 })
                    throw new InvalidDataException($"{source}: annotation {a.Id} has a bbox without 4 numbers");
                return new ManifestAnnotation { CategoryId = Text(a.CategoryId), X = a.Bbox[0], Y = a.Bbox[1], Width = a.Bbox[2], Height = a.Bbox[3] };
            }).ToList());
        return new DatasetManifest
        {
            Categories = coco.Categories.Select(c => new Category { Id = Text(c.Id), Name = c.Name, Type = CategoryType.Box }).ToList(),
            Images = coco.Images.Select(i => new ManifestImage
            {
                Id = Text(i.Id), File = i.FileName, Width = i.Width, Height = i.Height,
                Split = i.Split switch
                {
                    null => defaultSplit == DatasetSplit.Test ? "test" : "train",
                    "train" => "train",
                    "test" or "val" => "test",
                    var other => throw new InvalidDataException($"{source}: image {i.Id} has unknown split '{other}'"),
                },
                Annotations = annotationsByImage.GetValueOrDefault(i.Id) ?? [],
            }).ToList(),
        };
    }

    public static void SaveManifest(VisionDataset dataset, string manifestPath) =>
        File.WriteAllText(manifestPath, JsonSerializer.Serialize(
            dataset.ToManifest(Path.GetDirectoryName(Path.GetFullPath(manifestPath))!), VisionJson.Options));

    /// <summary>Writes the box annotations as COCO JSON (with the "split" extension), image ids numbered from 1.</summary>
    public static void SaveCoco(VisionDataset dataset, string cocoPath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(cocoPath))!;
        var boxCategories = dataset.Categories.Where(c => c.Type == CategoryType.Box).ToList();
        // COCO ids are numbers: a category's is its position among the box categories, from 1.
        var cocoIds = boxCategories.Select((c, i) => (c.Id, CocoId: i + 1)).ToDictionary(t => t.Id, t => t.CocoId);
        var images = new List<CocoImage>();
        var annotations = new List<CocoAnnotation>();
        foreach (var (image, index) in dataset.Images.Select((image, index) => (image, index)))
        {
            images.Add(new CocoImage
            {
                Id = index + 1, FileName = Path.GetRelativePath(directory, image.Path), Width = image.Width, Height = image.Height,
                Split = image.Split == DatasetSplit.Train ? "train" : "test",
            });
            foreach (var a in image.Annotations.Where(a => a.Box is not null && cocoIds.ContainsKey(a.CategoryId)))
            {
                var b = a.Box!.Value;
                annotations.Add(new CocoAnnotation
                {
                    Id = annotations.Count + 1, ImageId = index + 1, CategoryId = cocoIds[a.CategoryId],
                    Bbox = [b.X, b.Y, b.Width, b.Height], Area = b.Area,
                });
            }
        }
        var coco = new CocoFile
        {
            Images = images, Annotations = annotations,
            Categories = boxCategories.Select(c => new CocoCategory { Id = cocoIds[c.Id], Name = c.Name, Supercategory = "shape" }).ToList(),
        };
        File.WriteAllText(cocoPath, JsonSerializer.Serialize(coco, VisionJson.Options));
    }

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
