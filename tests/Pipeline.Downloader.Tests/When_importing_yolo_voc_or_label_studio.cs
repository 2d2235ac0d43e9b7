using Pipeline.Artifacts;
using Pipeline.Contracts;

namespace Pipeline.Downloader.Tests;

public sealed class When_importing_yolo_voc_or_label_studio : IDisposable
{
    private readonly ExportedDatasets exported = new();
    private readonly DownloaderHarness harness = new();

    [Fact]
    public async Task A_yolo_folder_converts_normalised_centre_boxes_to_pixels_with_the_names_as_categories()
    {
        var result = await harness.ImportAsync(DownloaderHarness.FileUri(exported.Yolo()), DatasetFormat.Yolo);
        var manifest = await harness.ManifestAsync();

        Assert.Equal((3, 1, 0), (result.TrainImageCount, result.TestImageCount, result.SkippedImageCount));
        Assert.Equal([("0", "cat"), ("1", "dog")], manifest.Categories.Select(category => (category.Id, category.Name)));
        var a = manifest.Images.Single(image => image.File == "images/train/a.jpg");
        Assert.Equal((40, 30, "train"), (a.Width, a.Height, a.Split));
        // 0 0.5 0.5 0.25 0.2 on 40x30: centre (20, 15), 10x6.
        AssertBox(a.Annotations[0], "0", 15, 12, 10, 6);
        Assert.Equal("1", a.Annotations[1].CategoryId);
        Assert.Empty(manifest.Images.Single(image => image.File == "images/train/c.jpg").Annotations);
        Assert.Equal("test", manifest.Images.Single(image => image.File == "images/val/d.jpg").Split);
    }

    [Fact]
    public async Task A_roboflow_yolo_export_finds_the_folders_its_data_yaml_climbs_to()
    {
        var folder = exported.RoboflowYolo();

        var asFolder = await harness.ImportAsync(DownloaderHarness.FileUri(folder), DatasetFormat.Yolo);
        var asFile = await harness.ImportAsync(DownloaderHarness.FileUri(Path.Combine(folder, "data.yaml")), DatasetFormat.Yolo, attempt: 2);

        Assert.Equal((2, 2, 0), (asFolder.TrainImageCount, asFolder.TestImageCount, asFolder.SkippedImageCount));
        Assert.Equal((2, 2, 0), (asFile.TrainImageCount, asFile.TestImageCount, asFile.SkippedImageCount));
        var valid = (await harness.ManifestAsync()).Images.Single(image => image.File == "valid/images/c_jpg.rf.33.jpg");
        AssertBox(valid.Annotations.Single(), "1", 8, 6, 16, 12);
    }

    [Fact]
    public async Task A_pascal_voc_devkit_reads_boxes_from_the_xml_and_the_val_list_as_test()
    {
        var result = await harness.ImportAsync(DownloaderHarness.FileUri(exported.PascalVoc()), DatasetFormat.PascalVoc);
        var manifest = await harness.ManifestAsync();

        Assert.Equal((2, 1, 0), (result.TrainImageCount, result.TestImageCount, result.SkippedImageCount));
        Assert.Equal(["aeroplane", "person"], manifest.Categories.Select(category => category.Name));
        var first = manifest.Images.Single(image => image.Id == "2007_000027");
        Assert.Equal(("JPEGImages/2007_000027.jpg", 486, 500, "train"), (first.File, first.Width, first.Height, first.Split));
        AssertBox(first.Annotations.Single(), "person", 174, 101, 175, 250);
        Assert.Equal(2, manifest.Images.Single(image => image.Id == "2007_000032").Annotations.Count);
        Assert.Equal("test", manifest.Images.Single(image => image.Id == "2007_000033").Split);
    }

    [Fact]
    public async Task A_pascal_voc_image_missing_from_JPEGImages_is_named_with_its_reason()
    {
        var folder = exported.PascalVoc();
        foreach (var image in Directory.GetFiles(Path.Combine(folder, "VOC2012", "JPEGImages")))
        {
            File.Delete(image);
        }

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(DownloaderHarness.FileUri(folder), DatasetFormat.PascalVoc));

        Assert.Equal("Dataset has no images that decode (3 listed: 3 missing, e.g. JPEGImages/2007_000027.jpg).", refusal.Message);
    }

    [Fact]
    public async Task A_label_studio_export_converts_percent_boxes_and_finds_the_uploaded_images()
    {
        var result = await harness.ImportAsync(DownloaderHarness.FileUri(exported.LabelStudio()), DatasetFormat.LabelStudio);
        var manifest = await harness.ManifestAsync();

        // Two train images, no test split: one is held out.
        Assert.Equal((1, 1, 0), (result.TrainImageCount, result.TestImageCount, result.SkippedImageCount));
        Assert.Equal(["cat", "dog"], manifest.Categories.Select(category => category.Id));
        var cat = manifest.Images.Single(image => image.Id == "1");
        Assert.Equal(("images/3f2a1b9c-cat.jpg", 64, 48), (cat.File, cat.Width, cat.Height));
        // x 25%, y 10%, 50% x 40% of 64x48.
        AssertBox(cat.Annotations.Single(), "cat", 16, 4.8, 32, 19.2);
        Assert.Equal(2, manifest.Images.Single(image => image.Id == "2").Annotations.Count);
    }

    [Fact]
    public async Task A_folder_with_two_yolo_exports_names_both_candidates()
    {
        exported.Yolo();
        exported.RoboflowYolo();

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(DownloaderHarness.FileUri(exported.Root), DatasetFormat.Yolo));

        Assert.Contains("several Yolo candidates (roboflow-yolo/data.yaml, yolo/data.yaml)", refusal.Message);
    }

    private static void AssertBox(ManifestAnnotation annotation, string category, double x, double y, double width, double height)
    {
        Assert.Equal(category, annotation.CategoryId);
        Assert.Equal(x, annotation.X, 1e-9);
        Assert.Equal(y, annotation.Y, 1e-9);
        Assert.Equal(width, annotation.Width, 1e-9);
        Assert.Equal(height, annotation.Height, 1e-9);
    }

    public void Dispose()
    {
        exported.Dispose();
        harness.Dispose();
    }
}
