using System.Text.Json;

namespace Pipeline.Datasets;

/// <summary>
/// COCO instances JSON to the manifest and back. COCO keeps splits in separate files, so every image is
/// <c>train</c> (or the caller's default) unless it carries the non-standard <c>"split"</c> field (<c>train</c>, or
/// <c>test</c>/<c>val</c> as test) that <see cref="ToCoco"/> also writes. Every category is a box category; an
/// annotation without bbox is left out (segmentation-only and keypoint-only annotations have no box to train on),
/// and so are crowd annotations. Bad input throws <see cref="DatasetFormatException"/>.
/// </summary>
public static class CocoConverter
{
    public static DatasetManifest ToManifest(JsonElement root, string defaultSplit = "train")
    {
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("images", out var images) || images.ValueKind != JsonValueKind.Array
            || !root.TryGetProperty("categories", out var categories) || categories.ValueKind != JsonValueKind.Array)
        {
            throw new DatasetFormatException("COCO JSON needs arrays 'images' and 'categories'.");
        }

        var annotationsByImage = new Dictionary<string, List<ManifestAnnotation>>();
        if (root.TryGetProperty("annotations", out var annotations) && annotations.ValueKind == JsonValueKind.Array)
        {
            foreach (var annotation in annotations.EnumerateArray())
            {
                if (annotation.TryGetProperty("iscrowd", out var crowd) && crowd.ValueKind == JsonValueKind.Number && Integer(crowd, "iscrowd") != 0)
                {
                    continue;
                }

                if (!annotation.TryGetProperty("bbox", out var bbox) || bbox.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                var box = bbox.EnumerateArray().Select(Number).ToArray();
                if (box.Length != 4)
                {
                    throw new DatasetFormatException($"COCO annotation of image {Id(annotation, "image_id")} has a bbox of {box.Length} numbers, not 4.");
                }

                var imageId = Id(annotation, "image_id");
                if (!annotationsByImage.TryGetValue(imageId, out var list))
                {
                    annotationsByImage[imageId] = list = [];
                }

                list.Add(new ManifestAnnotation
                {
                    CategoryId = Id(annotation, "category_id"), X = box[0], Y = box[1], Width = box[2], Height = box[3],
                });
            }
        }

        return new DatasetManifest
        {
            Categories = categories.EnumerateArray()
                .Select(category => new Category { Id = Id(category, "id"), Name = Text(category, "name"), Type = CategoryType.Box })
                .ToList(),
            Images = images.EnumerateArray().Select(image =>
            {
                var id = Id(image, "id");
                return new ManifestImage
                {
                    Id = id,
                    File = Text(image, "file_name"),
                    Width = image.TryGetProperty("width", out var width) && width.ValueKind == JsonValueKind.Number ? Integer(width, "width") : 0,
                    Height = image.TryGetProperty("height", out var height) && height.ValueKind == JsonValueKind.Number ? Integer(height, "height") : 0,
                    Split = image.TryGetProperty("split", out var split) && split.ValueKind == JsonValueKind.String ? split.GetString()! : defaultSplit,
                    Annotations = annotationsByImage.GetValueOrDefault(id) ?? [],
                };
            }).ToList(),
        };
    }

    /// <summary>
    /// The box annotations as COCO (with the "split" extension), file names relative to <paramref name="relativeTo"/>,
    /// image, annotation and category ids numbered from 1.
    /// </summary>
    public static CocoFile ToCoco(VisionDataset dataset, string relativeTo)
    {
        var boxCategories = dataset.Categories.Where(c => c.Type == CategoryType.Box).ToList();
        // COCO ids are numbers: a category's is its position among the box categories, from 1.
        var cocoIds = boxCategories.Select((c, i) => (c.Id, CocoId: i + 1)).ToDictionary(t => t.Id, t => t.CocoId);
        var images = new List<CocoImage>();
        var annotations = new List<CocoAnnotation>();
        foreach (var (image, index) in dataset.Images.Select((image, index) => (image, index)))
        {
            images.Add(new CocoImage
            {
                Id = index + 1, FileName = Path.GetRelativePath(relativeTo, image.Path), Width = image.Width, Height = image.Height,
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
        return new CocoFile
        {
            Images = images, Annotations = annotations,
            Categories = boxCategories.Select(c => new CocoCategory { Id = cocoIds[c.Id], Name = c.Name, Supercategory = "shape" }).ToList(),
        };
    }

    private static string Id(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind switch
        {
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.String when !string.IsNullOrEmpty(value.GetString()) => value.GetString()!,
            _ => throw new DatasetFormatException($"COCO field '{property}' is {value.ValueKind}, not an id."),
        }
        : throw new DatasetFormatException($"COCO entry lacks '{property}': {Shorten(element)}");

    private static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(value.GetString())
            ? value.GetString()!
            : throw new DatasetFormatException($"COCO entry lacks the text '{property}': {Shorten(element)}");

    private static int Integer(JsonElement element, string property) => element.TryGetInt32(out var value)
        ? value
        : throw new DatasetFormatException($"COCO field '{property}' is {element.GetRawText()}, not a whole number.");

    private static double Number(JsonElement element) => element.ValueKind == JsonValueKind.Number
        ? element.GetDouble()
        : throw new DatasetFormatException($"COCO bbox holds {element.GetRawText()}, not a number.");

    private static string Shorten(JsonElement element)
    {
        var text = element.GetRawText();
        return text.Length <= 120 ? text : text[..120] + "…";
    }
}
