using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Downloader.Tests;

/// <summary>
/// Datasets laid out on disk as the tools that export them write them (folders, file names, JSON fields), with real
/// JPEGs: COCO 2017, CVAT's COCO 1.0 export, Roboflow's COCO export.
/// </summary>
public sealed class ExportedDatasets : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "downloader-tests", Guid.NewGuid().ToString("N"));

    /// <summary>One image listed in an annotation file: its COCO id, file_name, size, and one box [x, y, w, h] of category 1.</summary>
    public sealed record Listed(long Id, string FileName, int Width = 32, int Height = 24, float[]? Box = null)
    {
        public float[] Bbox => Box ?? [2, 3, 10, 8];
    }

    /// <summary>
    /// COCO 2017: annotations/instances_{train,val}2017.json (and the captions file beside them) with bare file_names,
    /// the images in train2017/ and val2017/ beside annotations/. Returns the dataset's folder.
    /// </summary>
    public string Coco2017(IReadOnlyList<Listed> train, IReadOnlyList<Listed> val, bool writeTrainImages = true)
    {
        var folder = Path.Combine(Root, "coco");
        WriteCoco(Path.Combine(folder, "annotations", "instances_train2017.json"), train, Coco2017Style);
        WriteCoco(Path.Combine(folder, "annotations", "instances_val2017.json"), val, Coco2017Style);
        WriteJson(Path.Combine(folder, "annotations", "captions_train2017.json"), new { images = Array.Empty<object>(), annotations = Array.Empty<object>() });
        if (writeTrainImages)
        {
            WriteImages(Path.Combine(folder, "train2017"), train);
        }

        WriteImages(Path.Combine(folder, "val2017"), val);
        return folder;
    }

    /// <summary>CVAT's "COCO 1.0" export: annotations/instances_default.json beside images/.</summary>
    public string Cvat(IReadOnlyList<Listed> images)
    {
        var folder = Path.Combine(Root, "cvat");
        WriteCoco(Path.Combine(folder, "annotations", "instances_default.json"), images, CvatStyle);
        WriteImages(Path.Combine(folder, "images"), images);
        return folder;
    }

    /// <summary>Roboflow's "COCO" export: train/, valid/ and test/, each with _annotations.coco.json beside its images.</summary>
    public string Roboflow(IReadOnlyList<Listed> train, IReadOnlyList<Listed> valid, IReadOnlyList<Listed> test, string name = "roboflow")
    {
        var folder = Path.Combine(Root, name);
        foreach (var (split, images) in new[] { ("train", train), ("valid", valid), ("test", test) })
        {
            WriteCoco(Path.Combine(folder, split, "_annotations.coco.json"), images, RoboflowStyle);
            WriteImages(Path.Combine(folder, split), images);
        }

        return folder;
    }

    public static void WriteJpeg(string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = new Image<Rgb24>(width, height, new Rgb24(200, 40, 90));
        image.SaveAsJpeg(path);
    }

    public static void WriteJson(string path, object value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(value));
    }

    /// <summary>A PNG whose header declares <paramref name="width"/> x <paramref name="height"/>: refused before decoding.</summary>
    public static void WritePngDeclaring(string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Pipeline.Datasets.Tests.HostileImages.PngDeclaring(width, height));
    }

    private static void WriteImages(string folder, IEnumerable<Listed> images)
    {
        foreach (var image in images)
        {
            WriteJpeg(Path.Combine(folder, image.FileName), image.Width, image.Height);
        }
    }

    private delegate (object Image, object Annotation) Style(Listed image, int annotationId);

    private static void WriteCoco(string path, IReadOnlyList<Listed> images, Style style)
    {
        var rows = images.Select((image, index) => style(image, index + 1)).ToList();
        var categories = style == RoboflowStyle
            // Roboflow lists the project's own name as category 0, the supercategory of the real ones.
            ? new object[] { new { id = 0, name = "shapes", supercategory = "none" }, new { id = 1, name = "cat", supercategory = "shapes" } }
            : [new { id = 1, name = "cat", supercategory = style == CvatStyle ? "" : "animal" }];
        WriteJson(path, new
        {
            info = new { description = "exported", version = "1.0", year = 2024 },
            licenses = new[] { new { id = 1, name = "CC BY 4.0", url = "" } },
            images = rows.Select(row => row.Image),
            annotations = rows.Select(row => row.Annotation),
            categories,
        });
    }

    private static readonly Style Coco2017Style = (image, id) => (
        new { license = 1, file_name = image.FileName, coco_url = $"http://images.cocodataset.org/{image.FileName}", height = image.Height, width = image.Width, date_captured = "2013-11-14 11:18:45", flickr_url = "", id = image.Id },
        new { segmentation = new[] { new[] { 1.0, 1.0, 2.0, 2.0 } }, area = image.Bbox[2] * image.Bbox[3], iscrowd = 0, image_id = image.Id, bbox = image.Bbox, category_id = 1, id });

    private static readonly Style CvatStyle = (image, id) => (
        new { id = image.Id, width = image.Width, height = image.Height, file_name = image.FileName, license = 0, flickr_url = "", coco_url = "", date_captured = 0 },
        new { id, image_id = image.Id, category_id = 1, segmentation = Array.Empty<double>(), area = image.Bbox[2] * image.Bbox[3], bbox = image.Bbox, iscrowd = 0, attributes = new { occluded = false } });

    private static readonly Style RoboflowStyle = (image, id) => (
        new { id = image.Id, license = 1, file_name = image.FileName, height = image.Height, width = image.Width, date_captured = "2024-03-01T10:00:00+00:00" },
        new { id = id - 1, image_id = image.Id, category_id = 1, bbox = image.Bbox, area = image.Bbox[2] * image.Bbox[3], segmentation = Array.Empty<double>(), iscrowd = 0 });

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
