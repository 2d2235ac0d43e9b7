using System.Globalization;
using System.Text.Json;

namespace Pipeline.Uploader.Detections;

/// <summary>
/// COCO results format: a JSON array of <c>{image_id, category_id, bbox: [x, y, w, h], score}</c>. Ids that are
/// integers are written as numbers (as COCO tools expect), others as strings. A point is a bbox of size 0;
/// classifications have no place in a detection results file and are left out.
/// </summary>
public static class CocoResults
{
    public static void Write(Stream output, IEnumerable<StoredDetections> images)
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
}
