using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Datasets.Tests;

/// <summary>The YOLO, Pascal VOC and Label Studio converters on files written to a temporary folder.</summary>
public sealed class When_a_YOLO_VOC_or_Label_Studio_dataset_is_converted : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("converters").FullName;

    private string Write(string relative, string text)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private void Png(string relative, int width, int height)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = new Image<Rgb24>(width, height);
        image.SaveAsPng(path);
    }

    [Fact]
    public void Yolo_names_as_a_list_number_the_classes_from_0_and_a_polygon_line_is_its_bounding_box()
    {
        var yaml = Write("data.yaml", "train: images\nval: images\nnames: [cat, dog]\n");
        Png("images/a.png", 100, 50);
        Write("labels/a.txt", "1 0.1 0.2 0.5 0.2 0.3 0.6\n");

        var manifest = YoloConverter.ToManifest(yaml, _ => true);

        Assert.Equal([("0", "cat"), ("1", "dog")], manifest.Categories.Select(c => (c.Id, c.Name)));
        AssertBox(manifest.Images[0].Annotations.Single(), "1", 10, 10, 40, 20);
    }

    [Fact]
    public void Yolo_labels_with_a_class_beyond_the_names_are_refused_naming_the_file_and_line()
    {
        var yaml = Write("data.yaml", "train: images/train\nnames:\n  0: cat\n");
        Png("images/train/a.png", 10, 10);
        Write("labels/train/a.txt", "0 0.5 0.5 0.1 0.1\n3 0.5 0.5 0.1 0.1\n");

        var refusal = Assert.Throws<DatasetFormatException>(() => YoloConverter.ToManifest(yaml, _ => true));

        Assert.Contains("a.txt line 2", refusal.Message);
    }

    [Fact]
    public void Yolo_images_that_may_not_be_read_are_listed_without_boxes_for_the_importer_to_refuse()
    {
        var yaml = Write("data.yaml", "train: images\nnames: [cat]\n");
        Png("images/a.png", 10, 10);
        Write("labels/a.txt", "0 0.5 0.5 0.1 0.1\n");

        var manifest = YoloConverter.ToManifest(yaml, _ => false);

        Assert.Equal(("images/a.png", 0), (manifest.Images.Single().File, manifest.Images.Single().Annotations.Count));
    }

    [Fact]
    public void Yolo_folders_outside_the_dataset_are_not_read()
    {
        var yaml = Write("set/data.yaml", "train: ../../elsewhere/images\nnames: [cat]\n");
        Png("elsewhere/images/a.png", 10, 10);

        Assert.Contains("no train image folder", Assert.Throws<DatasetFormatException>(() => YoloConverter.ToManifest(yaml, _ => true)).Message);
    }

    [Fact]
    public void Voc_xml_with_a_dtd_is_refused_rather_than_expanded()
    {
        Write("Annotations/a.xml", """
            <?xml version="1.0"?>
            <!DOCTYPE annotation [ <!ENTITY secret SYSTEM "file:///etc/hostname"> ]>
            <annotation><filename>a.jpg</filename><object><name>&secret;</name></object></annotation>
            """);

        Assert.Contains("not valid XML", Assert.Throws<DatasetFormatException>(() => PascalVocConverter.ToManifest(root, _ => true)).Message);
    }

    [Fact]
    public void Label_studio_skips_cancelled_annotations_and_non_rectangle_results()
    {
        using var document = JsonDocument.Parse("""
            [ { "id": 7, "data": { "image": "/data/local-files/?d=photos%2Fa.jpg" },
                "annotations": [
                  { "was_cancelled": true, "result": [ { "type": "rectanglelabels", "original_width": 10, "original_height": 10,
                      "value": { "x": 0, "y": 0, "width": 10, "height": 10, "rectanglelabels": ["wrong"] } } ] },
                  { "was_cancelled": false, "result": [
                      { "type": "choices", "value": { "choices": ["good"] } },
                      { "type": "rectanglelabels", "original_width": 200, "original_height": 100,
                        "value": { "x": 10, "y": 20, "width": 50, "height": 50, "rectanglelabels": ["cat"] } } ] } ] } ]
            """);

        var manifest = LabelStudioConverter.ToManifest(document.RootElement);

        var image = manifest.Images.Single();
        Assert.Equal(("7", "photos/a.jpg", 200, 100), (image.Id, image.File, image.Width, image.Height));
        AssertBox(image.Annotations.Single(), "cat", 20, 20, 100, 50);
    }

    private static void AssertBox(ManifestAnnotation box, string category, double x, double y, double width, double height)
    {
        Assert.Equal(category, box.CategoryId);
        Assert.Equal([x, y, width, height], [box.X, box.Y, box.Width, box.Height], (a, b) => Math.Abs(a - b) < 1e-9);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
