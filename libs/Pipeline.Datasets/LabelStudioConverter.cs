using System.Text.Json;

namespace Pipeline.Datasets;

/// <summary>
/// Label Studio's JSON export to the manifest: a list of tasks, each with <c>data.image</c> and <c>annotations</c>
/// whose <c>result</c> items of type <c>rectanglelabels</c> hold x, y, width and height in percent of
/// <c>original_width</c> and <c>original_height</c>. The first annotation that was not cancelled is the task's.
/// Label Studio names images by where it serves them (<c>/data/upload/1/3f2a-cat.jpg</c>,
/// <c>/data/local-files/?d=images/cat.jpg</c>, a URL): the file is the uploaded name or the local path, looked for
/// beside the export; any other path is kept as written. Category ids are the label names; every image trains (the
/// export has no split). Rotation is not read: a rotated box is taken as drawn before its rotation.
/// </summary>
public static class LabelStudioConverter
{
    public static DatasetManifest ToManifest(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new DatasetFormatException("Label Studio JSON is a list of tasks.");
        }

        var images = new List<ManifestImage>();
        foreach (var task in root.EnumerateArray())
        {
            var image = task.TryGetProperty("data", out var data) && data.TryGetProperty("image", out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : throw new DatasetFormatException($"Label Studio task {Id(task)} has no data.image.");
            var results = task.TryGetProperty("annotations", out var annotations) && annotations.ValueKind == JsonValueKind.Array
                ? annotations.EnumerateArray()
                    .Where(a => !(a.TryGetProperty("was_cancelled", out var cancelled) && cancelled.ValueKind == JsonValueKind.True))
                    .Select(a => a.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Array ? result.EnumerateArray().ToList() : [])
                    .FirstOrDefault() ?? []
                : [];
            var boxes = results.Where(r => r.TryGetProperty("type", out var type) && type.GetString() == "rectanglelabels").ToList();
            var (width, height) = boxes.Select(r => (Integer(r, "original_width"), Integer(r, "original_height"))).FirstOrDefault();
            images.Add(new ManifestImage
            {
                Id = Id(task), File = FileOf(image), Width = width, Height = height, Split = "train",
                Annotations = [.. boxes.SelectMany(Boxes)],
            });
        }

        return new DatasetManifest
        {
            Categories = [.. images.SelectMany(image => image.Annotations).Select(a => a.CategoryId).Distinct().Order(StringComparer.Ordinal)
                .Select(name => new Category { Id = name, Name = name, Type = CategoryType.Box })],
            Images = images,
        };
    }

    private static IEnumerable<ManifestAnnotation> Boxes(JsonElement result)
    {
        var (width, height) = (Integer(result, "original_width"), Integer(result, "original_height"));
        if (!result.TryGetProperty("value", out var value) || width <= 0 || height <= 0)
        {
            throw new DatasetFormatException("Label Studio rectanglelabels result lacks its value or original_width/original_height.");
        }

        var labels = value.TryGetProperty("rectanglelabels", out var names) && names.ValueKind == JsonValueKind.Array
            ? names.EnumerateArray().Select(name => name.GetString()).OfType<string>().ToList()
            : [];
        return labels.Select(label => new ManifestAnnotation
        {
            CategoryId = label,
            X = Percent(value, "x") / 100 * width, Y = Percent(value, "y") / 100 * height,
            Width = Percent(value, "width") / 100 * width, Height = Percent(value, "height") / 100 * height,
        });
    }

    /// <summary>The file an image reference names: an upload's name, a local-files path, a URL's last segment.</summary>
    private static string FileOf(string image)
    {
        const string local = "/data/local-files/?d=";
        if (image.StartsWith(local, StringComparison.Ordinal))
        {
            return Uri.UnescapeDataString(image[local.Length..]);
        }

        if (image.StartsWith("/data/upload/", StringComparison.Ordinal)
            || (Uri.TryCreate(image, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "s3" or "gs" or "azure-blob"))
        {
            return Uri.UnescapeDataString(image[(image.LastIndexOf('/') + 1)..].Split('?')[0]);
        }

        return image;
    }

    private static string Id(JsonElement task) =>
        task.TryGetProperty("id", out var id) && id.ValueKind is JsonValueKind.Number or JsonValueKind.String
            ? id.ValueKind == JsonValueKind.Number ? id.GetRawText() : id.GetString()!
            : throw new DatasetFormatException("Label Studio task lacks its id.");

    private static int Integer(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.TryGetInt32(out var number) ? number : 0;

    private static double Percent(JsonElement value, string property) =>
        value.TryGetProperty(property, out var number) && number.ValueKind == JsonValueKind.Number
            ? number.GetDouble()
            : throw new DatasetFormatException($"Label Studio rectanglelabels value lacks '{property}'.");
}
