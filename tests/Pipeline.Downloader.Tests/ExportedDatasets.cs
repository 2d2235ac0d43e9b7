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

    /// <summary>
    /// Ultralytics' own layout (as its coco8 sample): data.yaml with an absolute <c>path</c> from the machine that wrote it,
    /// a names map, images/{train,val}/ and labels/{train,val}/ with one <c>class cx cy w h</c> line per box.
    /// </summary>
    public string Yolo()
    {
        var folder = Path.Combine(Root, "yolo");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(folder).FullName, "data.yaml"), """
            # Ultralytics YOLO dataset
            path: /content/datasets/shapes # dataset root dir
            train: images/train # train images (relative to 'path')
            val: images/val # val images (relative to 'path')
            test: # test images (optional)

            # Classes
            names:
              0: cat
              1: dog
            """);
        WriteJpeg(Path.Combine(folder, "images", "train", "a.jpg"), 40, 30);
        WriteLabels(Path.Combine(folder, "labels", "train", "a.txt"), "0 0.5 0.5 0.25 0.2", "1 0.25 0.25 0.1 0.1");
        WriteJpeg(Path.Combine(folder, "images", "train", "b.jpg"), 32, 24);
        WriteLabels(Path.Combine(folder, "labels", "train", "b.txt"), "1 0.5 0.5 0.5 0.5");
        // A background image: no label file.
        WriteJpeg(Path.Combine(folder, "images", "train", "c.jpg"), 32, 24);
        WriteJpeg(Path.Combine(folder, "images", "val", "d.jpg"), 32, 24);
        WriteLabels(Path.Combine(folder, "labels", "val", "d.txt"), "0 0.5 0.5 0.5 0.5");
        return folder;
    }

    /// <summary>Roboflow's "YOLOv8" export: data.yaml whose folders climb (../train/images) beside train/, valid/, test/.</summary>
    public string RoboflowYolo()
    {
        var folder = Path.Combine(Root, "roboflow-yolo");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(folder).FullName, "data.yaml"), """
            train: ../train/images
            val: ../valid/images
            test: ../test/images

            nc: 2
            names: ['cat', 'dog']

            roboflow:
              workspace: acme
              project: shapes
              version: 1
              license: CC BY 4.0
              url: https://universe.roboflow.com/acme/shapes/dataset/1
            """);
        File.WriteAllText(Path.Combine(folder, "README.roboflow.txt"), "Exported via roboflow.com");
        foreach (var (split, name) in new[] { ("train", "a_jpg.rf.11"), ("train", "b_jpg.rf.22"), ("valid", "c_jpg.rf.33"), ("test", "d_jpg.rf.44") })
        {
            WriteJpeg(Path.Combine(folder, split, "images", name + ".jpg"), 32, 24);
            WriteLabels(Path.Combine(folder, split, "labels", name + ".txt"), "1 0.5 0.5 0.5 0.5");
        }

        return folder;
    }

    /// <summary>
    /// Pascal VOC as VOCdevkit ships it: VOC2012/ with Annotations/*.xml, JPEGImages/, and ImageSets/Main/ holding
    /// train.txt, val.txt and the per-class lists.
    /// </summary>
    public string PascalVoc()
    {
        var folder = Path.Combine(Root, "VOCdevkit", "VOC2012");
        foreach (var (id, width, height, objects) in new[]
        {
            ("2007_000027", 486, 500, new[] { ("person", 174, 101, 349, 351) }),
            ("2007_000032", 500, 281, new[] { ("aeroplane", 104, 78, 375, 183), ("person", 195, 180, 213, 229) }),
            ("2007_000033", 500, 366, new[] { ("aeroplane", 9, 107, 499, 263) }),
        })
        {
            WriteJpeg(Path.Combine(folder, "JPEGImages", id + ".jpg"), width, height);
            var xml = $"""
                <annotation>
                	<folder>VOC2012</folder>
                	<filename>{id}.jpg</filename>
                	<source>
                		<database>The VOC2007 Database</database>
                		<annotation>PASCAL VOC2007</annotation>
                		<image>flickr</image>
                	</source>
                	<size>
                		<width>{width}</width>
                		<height>{height}</height>
                		<depth>3</depth>
                	</size>
                	<segmented>0</segmented>
                {string.Concat(objects.Select(o => $"""
                	<object>
                		<name>{o.Item1}</name>
                		<pose>Unspecified</pose>
                		<truncated>0</truncated>
                		<difficult>0</difficult>
                		<bndbox>
                			<xmin>{o.Item2}</xmin>
                			<ymin>{o.Item3}</ymin>
                			<xmax>{o.Item4}</xmax>
                			<ymax>{o.Item5}</ymax>
                		</bndbox>
                	</object>

                """))}</annotation>
                """;
            Directory.CreateDirectory(Path.Combine(folder, "Annotations"));
            File.WriteAllText(Path.Combine(folder, "Annotations", id + ".xml"), xml);
        }

        WriteLabels(Path.Combine(folder, "ImageSets", "Main", "train.txt"), "2007_000027", "2007_000032");
        WriteLabels(Path.Combine(folder, "ImageSets", "Main", "val.txt"), "2007_000033");
        WriteLabels(Path.Combine(folder, "ImageSets", "Main", "aeroplane_train.txt"), "2007_000027 -1", "2007_000032  1");
        return Path.Combine(Root, "VOCdevkit");
    }

    /// <summary>
    /// Label Studio's "JSON" export (project-1-at-....json) beside the uploaded images, which Label Studio names with a
    /// hash prefix and serves as /data/upload/&lt;project&gt;/&lt;name&gt;.
    /// </summary>
    public string LabelStudio()
    {
        var folder = Path.Combine(Root, "label-studio");
        WriteJpeg(Path.Combine(folder, "images", "3f2a1b9c-cat.jpg"), 64, 48);
        WriteJpeg(Path.Combine(folder, "images", "77e0d1aa-dog.jpg"), 64, 48);
        WriteJson(Path.Combine(folder, "project-1-at-2024-03-01-10-00-3f2a1b9c.json"), new object[]
        {
            Task(1, "/data/upload/1/3f2a1b9c-cat.jpg", ("cat", 25, 10, 50, 40)),
            Task(2, "/data/upload/1/77e0d1aa-dog.jpg", ("dog", 0, 0, 100, 100), ("cat", 50, 50, 25, 25)),
        });
        return folder;

        static object Task(int id, string image, params (string Label, double X, double Y, double Width, double Height)[] boxes) => new
        {
            id,
            annotations = new[]
            {
                new
                {
                    id = id * 10, completed_by = 1, was_cancelled = false, ground_truth = false,
                    result = boxes.Select((box, index) => new
                    {
                        original_width = 64, original_height = 48, image_rotation = 0,
                        value = new { x = box.X, y = box.Y, width = box.Width, height = box.Height, rotation = 0, rectanglelabels = new[] { box.Label } },
                        id = $"r{id}{index}", from_name = "label", to_name = "image", type = "rectanglelabels", origin = "manual",
                    }),
                },
            },
            file_upload = image[(image.LastIndexOf('/') + 1)..],
            drafts = Array.Empty<object>(), predictions = Array.Empty<object>(),
            data = new { image },
            meta = new { }, created_at = "2024-03-01T10:00:00.000000Z", project = 1,
        };
    }

    private static void WriteLabels(string path, params string[] lines)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, lines);
    }

    public void WriteJpeg(string path, int width, int height)
    {
        // Every file a test writes stays in its own folder, whatever path a test lists.
        if (!Path.GetFullPath(path).StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{path} is outside the test's folder {Root}.");
        }

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

    /// <summary>
    /// Writes each listed image that lies inside the export. A listed path that climbs out or is absolute is what a
    /// test feeds the importer, never a file to write: written, it would land outside the test's folder (/etc/passwd).
    /// </summary>
    private void WriteImages(string folder, IEnumerable<Listed> images)
    {
        foreach (var image in images)
        {
            var path = Path.GetFullPath(Path.Combine(folder, image.FileName));
            if (Path.IsPathRooted(image.FileName) || !path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue;
            }

            WriteJpeg(path, image.Width, image.Height);
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
