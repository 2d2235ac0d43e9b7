using System.Text.Json;
using Pipeline.Contracts;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Downloader.Datasets;

/// <summary>
/// COCO instances JSON to the manifest. COCO keeps splits in separate files, so every image is <c>train</c>
/// unless it carries the non-standard <c>"split"</c> field (<c>train</c>, or <c>test</c>/<c>val</c> as test) that
/// Pipeline.Vision also writes. Every category is a box category; an annotation without bbox is left out
/// (segmentation-only and keypoint-only annotations have no box to train on), and so are crowd annotations.
/// </summary>
public static class CocoConverter
{
    public static DatasetManifest ToManifest(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("images", out var images) || images.ValueKind != JsonValueKind.Array
            || !root.TryGetProperty("categories", out var categories) || categories.ValueKind != JsonValueKind.Array)
        {
            throw new StageInputException("COCO JSON needs arrays 'images' and 'categories'.");
        }

        var annotationsByImage = new Dictionary<string, List<ManifestAnnotation>>();
        if (root.TryGetProperty("annotations", out var annotations) && annotations.ValueKind == JsonValueKind.Array)
        {
            foreach (var annotation in annotations.EnumerateArray())
            {
                if (annotation.TryGetProperty("iscrowd", out var crowd) && crowd.ValueKind == JsonValueKind.Number && crowd.GetInt32() != 0)
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
                    throw new StageInputException($"COCO annotation of image {Id(annotation, "image_id")} has a bbox of {box.Length} numbers, not 4.");
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
                    Width = image.TryGetProperty("width", out var width) && width.ValueKind == JsonValueKind.Number ? width.GetInt32() : 0,
                    Height = image.TryGetProperty("height", out var height) && height.ValueKind == JsonValueKind.Number ? height.GetInt32() : 0,
                    Split = image.TryGetProperty("split", out var split) && split.ValueKind == JsonValueKind.String ? split.GetString()! : "train",
                    Annotations = annotationsByImage.GetValueOrDefault(id) ?? [],
                };
            }).ToList(),
        };
    }

    private static string Id(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind switch
        {
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.String when !string.IsNullOrEmpty(value.GetString()) => value.GetString()!,
            _ => throw new StageInputException($"COCO field '{property}' is {value.ValueKind}, not an id."),
        }
        : throw new StageInputException($"COCO entry lacks '{property}': {Shorten(element)}");

    private static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(value.GetString())
            ? value.GetString()!
            : throw new StageInputException($"COCO entry lacks the text '{property}': {Shorten(element)}");

    private static double Number(JsonElement element) => element.ValueKind == JsonValueKind.Number
        ? element.GetDouble()
        : throw new StageInputException($"COCO bbox holds {element.GetRawText()}, not a number.");

    private static string Shorten(JsonElement element)
    {
        var text = element.GetRawText();
        return text.Length <= 120 ? text : text[..120] + "…";
    }
}
