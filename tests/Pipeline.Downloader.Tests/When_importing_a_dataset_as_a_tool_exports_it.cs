using Pipeline.Artifacts;
using Pipeline.Contracts;
using static Pipeline.Downloader.Tests.ExportedDatasets;

namespace Pipeline.Downloader.Tests;

public sealed class When_importing_a_dataset_as_a_tool_exports_it : IDisposable
{
    private readonly ExportedDatasets exported = new();
    private readonly DownloaderHarness harness = new();

    private static readonly Listed[] Train2017 =
    [
        new(139, "000000000139.jpg", 40, 30, [4.5f, 6, 12, 10]),
        new(285, "000000000285.jpg"),
        new(632, "000000000632.jpg"),
    ];

    private static readonly Listed[] Val2017 = [new(724, "000000000724.jpg"), new(776, "000000000776.jpg")];

    [Fact]
    public async Task A_coco_2017_folder_reads_train2017_and_val2017_beside_annotations()
    {
        var folder = exported.Coco2017(Train2017, Val2017);

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(folder), DatasetFormat.Coco);
        var manifest = await harness.ManifestAsync();

        Assert.Equal((3, 2, 0), (result.TrainImageCount, result.TestImageCount, result.SkippedImageCount));
        Assert.Equal(["train2017/000000000139.jpg", "train2017/000000000285.jpg", "train2017/000000000632.jpg", "val2017/000000000724.jpg", "val2017/000000000776.jpg"],
            manifest.Images.Select(image => image.File));
        var first = manifest.Images[0];
        Assert.Equal(("139", 40, 30), (first.Id, first.Width, first.Height));
        Assert.Equal((4.5, 6.0, 12.0, 10.0), (first.Annotations[0].X, first.Annotations[0].Y, first.Annotations[0].Width, first.Annotations[0].Height));
        Assert.All(manifest.Images, image => Assert.True(harness.Store.Exists($"{ArtifactKeys.Dataset(harness.TrainingId, 1)}/{image.File}")));
    }

    [Fact]
    public async Task A_coco_2017_annotation_file_with_the_val_file_as_test_dataset_finds_the_images_in_the_split_folders()
    {
        var folder = exported.Coco2017(Train2017, Val2017);

        var result = await harness.ImportAsync(
            DownloaderHarness.FileUri(Path.Combine(folder, "annotations", "instances_train2017.json")), DatasetFormat.Coco,
            testUri: DownloaderHarness.FileUri(Path.Combine(folder, "annotations", "instances_val2017.json")));
        var manifest = await harness.ManifestAsync();

        Assert.Equal((3, 2, 0), (result.TrainImageCount, result.TestImageCount, result.SkippedImageCount));
        Assert.Equal(["test-dataset/val2017/000000000724.jpg", "test-dataset/val2017/000000000776.jpg"],
            manifest.Images.Where(image => image.Split == "test").Select(image => image.File));
    }

    [Fact]
    public async Task A_cvat_export_reads_images_beside_annotations_as_folder_and_as_file()
    {
        var folder = exported.Cvat([new(1, "frame_000000.jpg", 20, 10, [1, 2, 3, 4]), new(2, "frame_000001.jpg"), new(3, "frame_000002.jpg")]);

        var asFolder = await harness.ImportAsync(DownloaderHarness.FileUri(folder), DatasetFormat.Coco);
        var asFile = await harness.ImportAsync(DownloaderHarness.FileUri(Path.Combine(folder, "annotations", "instances_default.json")), DatasetFormat.Coco, attempt: 2);

        // Three train images and no test split: one is held out, as for any dataset without one.
        Assert.Equal((2, 1, 0), (asFolder.TrainImageCount, asFolder.TestImageCount, asFolder.SkippedImageCount));
        Assert.Equal((2, 1, 0), (asFile.TrainImageCount, asFile.TestImageCount, asFile.SkippedImageCount));
        var image = (await harness.ManifestAsync(attempt: 2)).Images.Single(image => image.Id == "1");
        Assert.Equal(("images/frame_000000.jpg", 20, 10), (image.File, image.Width, image.Height));
        Assert.Equal((1.0, 2.0, 3.0, 4.0), (image.Annotations[0].X, image.Annotations[0].Y, image.Annotations[0].Width, image.Annotations[0].Height));
    }

    [Fact]
    public async Task A_roboflow_folder_trains_on_train_and_tests_on_valid_and_test()
    {
        var folder = exported.Roboflow(
            [new(0, "a_jpg.rf.0f3c.jpg"), new(1, "b_jpg.rf.9d21.jpg"), new(2, "c_jpg.rf.77aa.jpg")],
            [new(0, "d_jpg.rf.1b2c.jpg", 30, 20, [5, 5, 10, 10])],
            [new(0, "e_jpg.rf.4e4e.jpg")]);

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(folder), DatasetFormat.Coco);
        var manifest = await harness.ManifestAsync();

        Assert.Equal((3, 2, 0), (result.TrainImageCount, result.TestImageCount, result.SkippedImageCount));
        // Each file numbers its images from 0: valid's and test's ids are kept apart by the file they came from.
        Assert.Equal([("val-0", "valid/d_jpg.rf.1b2c.jpg"), ("test-0", "test/e_jpg.rf.4e4e.jpg")],
            manifest.Images.Where(image => image.Split == "test").Select(image => (image.Id, image.File)));
        Assert.Equal(["0", "1"], manifest.Categories.Select(category => category.Id));
        var valid = manifest.Images.Single(image => image.Id == "val-0");
        Assert.Equal((5.0, 5.0, 10.0, 10.0), (valid.Annotations[0].X, valid.Annotations[0].Y, valid.Annotations[0].Width, valid.Annotations[0].Height));
    }

    [Fact]
    public async Task A_roboflow_split_file_given_alone_reads_the_images_beside_it()
    {
        var folder = exported.Roboflow([new(0, "a_jpg.rf.0f3c.jpg"), new(1, "b_jpg.rf.9d21.jpg")], [new(0, "d_jpg.rf.1b2c.jpg")], []);

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(Path.Combine(folder, "train", "_annotations.coco.json")), DatasetFormat.Coco);

        Assert.Equal((1, 1, 0), (result.TrainImageCount, result.TestImageCount, result.SkippedImageCount));
    }

    [Fact]
    public async Task Missing_images_fail_the_import_naming_the_reason_and_where_one_was_looked_for()
    {
        var folder = exported.Coco2017(Train2017, Val2017, writeTrainImages: false);

        var refusal = await Assert.ThrowsAsync<StageInputException>(() =>
            harness.ImportAsync(DownloaderHarness.FileUri(Path.Combine(folder, "annotations", "instances_train2017.json")), DatasetFormat.Coco));

        Assert.Equal("Dataset has no images that decode (3 listed: 3 missing, e.g. train2017/000000000139.jpg).", refusal.Message);
    }

    [Fact]
    public async Task Images_left_out_are_counted_under_their_reasons()
    {
        var folder = exported.Cvat(
        [
            new(1, "frame_000000.jpg"), new(2, "frame_000001.jpg"), new(3, "gone.jpg"), new(4, "../../etc/x.jpg"), new(5, "/etc/passwd"),
            new(6, "broken.jpg"), new(7, "huge.png"),
        ]);
        File.Delete(Path.Combine(folder, "images", "gone.jpg"));
        File.WriteAllBytes(Path.Combine(folder, "images", "broken.jpg"), [0xFF, 0xD8, 0xFF, 1, 2, 3]);
        WritePngDeclaring(Path.Combine(folder, "images", "huge.png"), 20_000, 20_000);

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(folder), DatasetFormat.Coco);

        Assert.Equal(5, result.SkippedImageCount);
        Assert.Equal(new Dictionary<ImageSkipReason, int>
        {
            [ImageSkipReason.Missing] = 1, [ImageSkipReason.Unreadable] = 1, [ImageSkipReason.TooLarge] = 1, [ImageSkipReason.OutsideRoot] = 2,
        }, result.SkippedByReason);
        Assert.Equal(["1", "2"], (await harness.ManifestAsync()).Images.Select(image => image.Id).Order());
    }

    [Fact]
    public async Task A_path_outside_the_dataset_is_refused_with_its_reason_and_never_read()
    {
        var folder = exported.Cvat([new(1, "../../../etc/hostname")]);

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(DownloaderHarness.FileUri(folder), DatasetFormat.Coco));

        Assert.Equal("Dataset has no images that decode (1 listed: 1 outside the dataset root, e.g. ../../../etc/hostname).", refusal.Message);
        Assert.Empty(harness.FilesNamed("hostname"));
    }

    [Fact]
    public async Task A_folder_with_two_exports_names_the_candidates_it_found()
    {
        exported.Roboflow([new(0, "a.jpg")], [new(0, "b.jpg")], [], name: "first");
        exported.Roboflow([new(0, "c.jpg")], [new(0, "d.jpg")], [], name: "second");

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(DownloaderHarness.FileUri(exported.Root), DatasetFormat.Coco));

        Assert.Contains("several Coco candidates (first/test/_annotations.coco.json, first/train/_annotations.coco.json", refusal.Message);
        Assert.Contains("second/valid/_annotations.coco.json", refusal.Message);
    }

    [Fact]
    public async Task An_images_folder_the_user_names_is_where_bare_file_names_are_looked_for()
    {
        var folder = exported.Cvat([new(1, "a.jpg"), new(2, "b.jpg")]);
        Directory.Move(Path.Combine(folder, "images"), Path.Combine(folder, "pictures"));
        var uri = DownloaderHarness.FileUri(Path.Combine(folder, "annotations", "instances_default.json"));

        var result = await harness.ImportAsync(uri, DatasetFormat.Coco, imagesFolder: "pictures");
        var unnamed = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(uri, DatasetFormat.Coco, attempt: 2));

        Assert.Equal(2, result.TrainImageCount + result.TestImageCount);
        Assert.Equal(["pictures/a.jpg", "pictures/b.jpg"], (await harness.ManifestAsync()).Images.Select(image => image.File).Order());
        Assert.Contains("2 missing, e.g. images/a.jpg", unnamed.Message);
    }

    [Fact]
    public async Task An_images_folder_that_climbs_out_of_the_dataset_is_refused()
    {
        var folder = exported.Cvat([new(1, "a.jpg")]);

        var refusal = await Assert.ThrowsAsync<StageInputException>(() =>
            harness.ImportAsync(DownloaderHarness.FileUri(folder), DatasetFormat.Coco, imagesFolder: "../.."));

        Assert.Equal("ImagesFolder '../..' is not a plain path inside the dataset.", refusal.Message);
    }

    public void Dispose()
    {
        exported.Dispose();
        harness.Dispose();
    }
}
