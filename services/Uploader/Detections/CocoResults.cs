using System.Globalization;
using System.Text.Json;
using Pipeline.Contracts;
using Pipeline.Datasets;

namespace Pipeline.Uploader.Detections;

/// <summary>
/// COCO results format: a JSON array of <c>{image_id, category_id, bbox: [x, y, w, h], score}</c>. Ids that are
/// integers are written as numbers (as COCO tools expect), others as strings. A point is a bbox of size 0;
/// classifications have no place in a detection results file and are left out. The test split's ground truth is
/// written with the same ids, so a COCO evaluator can score the results against it.
/// </summary>
public static class CocoResults
{
    public static void Write(Stream output, IEnumerable<ImageDetections> images)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartArray();
        foreach (var image in images)
        {
            foreach (var box in image.Boxes)
            {
                WriteResult(writer, image.ImageId, box.CategoryId, box.X, box.Y, box.Width, box.Height, box.Confidence);
            }

            foreach (var point in image.Points)
            {
                WriteResult(writer, image.ImageId, point.CategoryId, point.X, point.Y, 0, 0, point.Confidence);
            }
        }

        writer.WriteEndArray();
    }

    /// <summary>Reads a results file back as an evaluator outside the pipeline would see it.</summary>
    public static IReadOnlyList<CocoResult> Read(Stream input)
    {
        using var document = JsonDocument.Parse(input);
        return document.RootElement.EnumerateArray().Select(result =>
        {
            var bbox = result.GetProperty("bbox").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            return new CocoResult(ReadId(result.GetProperty("image_id")), ReadId(result.GetProperty("category_id")),
                bbox[0], bbox[1], bbox[2], bbox[3], result.GetProperty("score").GetDouble());
        }).ToList();
    }

    /// <summary>
    /// COCO instances JSON of <paramref name="images"/>' box annotations (COCO's evaluator matches boxes only: point and
    /// classification categories are left out), with the ids the results carry, numbered annotations, area and iscrowd 0.
    /// </summary>
    public static void WriteGroundTruth(Stream output, IReadOnlyList<Category> categories, IEnumerable<DatasetImage> images)
    {
        var boxes = categories.Where(c => c.Type == CategoryType.Box).ToList();
        var boxIds = boxes.Select(c => c.Id).ToHashSet();
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteStartArray("images");
        var listed = images.ToList();
        foreach (var image in listed)
        {
            writer.WriteStartObject();
            WriteId(writer, "id", image.Id);
            writer.WriteString("file_name", Path.GetFileName(image.Path));
            writer.WriteNumber("width", image.Width);
            writer.WriteNumber("height", image.Height);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("annotations");
        var number = 0;
        foreach (var image in listed)
        {
            foreach (var annotation in image.Annotations.Where(a => boxIds.Contains(a.CategoryId) && a.Box is not null))
            {
                var box = annotation.Box!.Value;
                writer.WriteStartObject();
                writer.WriteNumber("id", ++number);
                WriteId(writer, "image_id", image.Id);
                WriteId(writer, "category_id", annotation.CategoryId);
                writer.WriteStartArray("bbox");
                writer.WriteNumberValue(box.X);
                writer.WriteNumberValue(box.Y);
                writer.WriteNumberValue(box.Width);
                writer.WriteNumberValue(box.Height);
                writer.WriteEndArray();
                writer.WriteNumber("area", box.Area);
                writer.WriteNumber("iscrowd", 0);
                writer.WriteEndObject();
            }
        }

        writer.WriteEndArray();
        writer.WriteStartArray("categories");
        foreach (var category in boxes)
        {
            writer.WriteStartObject();
            WriteId(writer, "id", category.Id);
            writer.WriteString("name", category.Name);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteResult(Utf8JsonWriter writer, string imageId, string categoryId, double x, double y, double width, double height, double score)
    {
        writer.WriteStartObject();
        WriteId(writer, "image_id", imageId);
        WriteId(writer, "category_id", categoryId);
        writer.WriteStartArray("bbox");
        writer.WriteNumberValue(x);
        writer.WriteNumberValue(y);
        writer.WriteNumberValue(width);
        writer.WriteNumberValue(height);
        writer.WriteEndArray();
        writer.WriteNumber("score", score);
        writer.WriteEndObject();
    }

    private static void WriteId(Utf8JsonWriter writer, string name, string id)
    {
        if (long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number.ToString(CultureInfo.InvariantCulture) == id)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteString(name, id);
        }
    }

    private static string ReadId(JsonElement id) => id.ValueKind == JsonValueKind.Number ? id.GetRawText() : id.GetString() ?? "";
}
