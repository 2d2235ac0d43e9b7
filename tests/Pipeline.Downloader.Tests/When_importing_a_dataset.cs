using System.Formats.Tar;
using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Tests;

public sealed class When_importing_a_dataset : IDisposable
{
    private readonly DatasetBuilder dataset = new();
    private readonly DownloaderHarness harness = new();

    [Fact]
    public async Task A_manifest_folder_lands_in_the_store_with_images_manifest_and_detection_list()
    {
        dataset.AddImage("a").AddImage("b").AddImage("c", split: "test").WriteManifest();

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder));

        Assert.Equal(ArtifactKeys.DatasetManifest(harness.TrainingId, 1), result.DatasetKey);
        Assert.Equal((2, 1, 3, 0), (result.TrainImageCount, result.TestImageCount, result.DetectionImageCount, result.SkippedImageCount));
        var manifest = await harness.ManifestAsync();
        Assert.Equal(["a", "b", "c"], manifest.Images.Select(image => image.Id));
        Assert.All(manifest.Images, image => Assert.True(harness.Store.Exists($"{ArtifactKeys.Dataset(harness.TrainingId, 1)}/{image.File}")));
        Assert.Equal(["a", "b", "c"], await harness.DetectionListAsync());
        Assert.Equal(["1", "2"], result.Categories.Select(category => category.Id));
    }

    [Fact]
    public async Task A_manifest_file_uri_reads_the_images_beside_it()
    {
        var manifest = dataset.AddImage("a").WriteManifest();

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(manifest));

        Assert.Equal(1, result.TrainImageCount);
    }

    [Fact]
    public async Task A_coco_json_is_converted_with_train_as_default_split_and_sizes_filled_in()
    {
        dataset.AddImage("a", width: 20, height: 10).AddImage("b", width: 8, height: 6).AddImage("c", split: "test");
        var coco = dataset.WriteCoco();

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(coco), DatasetFormat.Coco);

        Assert.Equal((2, 1), (result.TrainImageCount, result.TestImageCount));
        var manifest = await harness.ManifestAsync();
        Assert.Equal(["1", "2", "3"], manifest.Images.Select(image => image.Id));
        Assert.Equal((20, 10), (manifest.Images[0].Width, manifest.Images[0].Height));
        Assert.Equal((8, 6), (manifest.Images[1].Width, manifest.Images[1].Height));
        Assert.Equal(2, manifest.Images[0].Annotations.Count);
        Assert.Equal(["cat", "dog"], manifest.Categories.Select(category => category.Name));
    }

    [Fact]
    public async Task A_zip_archive_with_a_top_folder_is_extracted_and_imported()
    {
        dataset.AddImage("a").AddImage("b", split: "test").WriteManifest();

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Zip()));

        Assert.Equal((1, 1), (result.TrainImageCount, result.TestImageCount));
    }

    [Fact]
    public async Task A_coco_folder_with_train_and_val_files_reads_the_val_file_as_the_test_split()
    {
        dataset.AddImage("a").AddImage("b").AddImage("c");
        dataset.WriteCoco("instances_train2017.json");
        dataset.Images.Clear();
        dataset.AddImage("v1").AddImage("v2");
        dataset.WriteCoco("instances_val2017.json");

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder), DatasetFormat.Coco);
        var manifest = await harness.ManifestAsync();

        Assert.Equal((3, 2), (result.TrainImageCount, result.TestImageCount));
        // Both files number their images from 1: the val file's ids are kept apart.
        Assert.Equal(["val-1", "val-2"], manifest.Images.Where(i => i.Split == "test").Select(i => i.Id));
        Assert.Equal(["images/v1.png", "images/v2.png"], manifest.Images.Where(i => i.Split == "test").Select(i => i.File));
    }

    [Fact]
    public async Task A_separate_test_dataset_is_the_test_split_kept_apart_from_the_train_dataset_whose_images_all_train()
    {
        using var test = new DatasetBuilder();
        // Both COCO files number their images from 1 and keep them as images/<name>.png: neither may overwrite the other.
        dataset.AddImage("a").AddImage("b").AddImage("c", split: "test");
        var train = dataset.WriteCoco("train.json");
        test.AddImage("a", width: 9, height: 7).AddImage("z");
        var val = test.WriteCoco("val.json");

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(train), DatasetFormat.Coco, testUri: DownloaderHarness.FileUri(val));
        var manifest = await harness.ManifestAsync();

        Assert.Equal((3, 2, 0), (result.TrainImageCount, result.TestImageCount, result.HeldOutImageCount));
        Assert.Equal(["1", "2", "3"], manifest.Images.Where(i => i.Split == "train").Select(i => i.Id));
        Assert.Equal(["test-1", "test-2"], manifest.Images.Where(i => i.Split == "test").Select(i => i.Id));
        Assert.Equal(["test-dataset/images/a.png", "test-dataset/images/z.png"], manifest.Images.Where(i => i.Split == "test").Select(i => i.File));
        Assert.Equal((9, 7), (manifest.Images[3].Width, manifest.Images[3].Height));
        Assert.Equal((16, 12), (manifest.Images[0].Width, manifest.Images[0].Height));
        Assert.All(manifest.Images, image => Assert.True(harness.Store.Exists($"{ArtifactKeys.Dataset(harness.TrainingId, 1)}/{image.File}")));
    }

    [Fact]
    public async Task A_test_dataset_that_cannot_be_read_fails_the_import_naming_it()
    {
        dataset.AddImage("a").WriteManifest();
        var missing = Path.Combine(dataset.Root, "no-such-test-set", "manifest.json");

        var refused = await Assert.ThrowsAsync<StageInputException>(() =>
            harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder), testUri: DownloaderHarness.FileUri(missing)));

        Assert.Contains("no-such-test-set", refused.Message);
    }

    [Fact]
    public async Task A_dataset_without_test_images_holds_out_a_seeded_tenth_of_them_the_same_each_time()
    {
        for (var i = 0; i < 30; i++)
        {
            dataset.AddImage($"i{i:D2}");
        }

        dataset.WriteManifest();
        var result = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder));
        var first = (await harness.ManifestAsync()).Images.Where(i => i.Split == "test").Select(i => i.Id).ToList();
        await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder));
        var second = (await harness.ManifestAsync()).Images.Where(i => i.Split == "test").Select(i => i.Id).ToList();

        Assert.Equal((27, 3, 3), (result.TrainImageCount, result.TestImageCount, result.HeldOutImageCount));
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task A_dataset_with_test_images_holds_none_out_and_HeldOutShare_0_keeps_all_for_training()
    {
        dataset.AddImage("a").AddImage("b").AddImage("c", split: "test").WriteManifest();
        var withTest = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder));
        using var off = new DownloaderHarness(new DownloaderSettings { HeldOutShare = 0 });
        dataset.Images.RemoveAt(2);
        dataset.WriteManifest();

        var trainOnly = await off.ImportAsync(DownloaderHarness.FileUri(dataset.Folder));

        Assert.Equal((2, 1, 0), (withTest.TrainImageCount, withTest.TestImageCount, withTest.HeldOutImageCount));
        Assert.Equal((2, 0, 0), (trainOnly.TrainImageCount, trainOnly.TestImageCount, trainOnly.HeldOutImageCount));
    }

    [Fact]
    public async Task A_tar_gz_archive_holding_a_coco_json_is_extracted_and_imported()
    {
        dataset.AddImage("a").AddImage("b");
        dataset.WriteCoco();

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.TarGz()), DatasetFormat.Coco);

        Assert.Equal(2, result.TrainImageCount + result.TestImageCount);
    }

    [Fact]
    public async Task A_dataset_is_imported_when_it_matches_the_given_sha256_and_refused_naming_both_hashes_when_it_does_not()
    {
        dataset.AddImage("a").WriteManifest();
        var archive = dataset.Zip();
        var uri = DownloaderHarness.FileUri(archive);
        var sha256 = DatasetBuilder.Sha256Of(archive);
        var wrong = sha256[..^1] + (sha256[^1] == '0' ? '1' : '0');

        var result = await harness.ImportAsync(uri, sha256: sha256.ToUpperInvariant());
        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(uri, sha256: wrong, attempt: 2));

        Assert.Equal(1, result.TrainImageCount);
        Assert.Equal($"Dataset '{uri}' has sha256 {sha256}, but DatasetSha256 says {wrong}.", refusal.Message);
    }

    [Fact]
    public async Task An_image_is_imported_when_it_matches_its_manifest_sha256_and_refused_naming_it_once_its_bytes_change()
    {
        dataset.AddImage("a", withSha: true).WriteManifest();
        var uri = DownloaderHarness.FileUri(dataset.Folder);
        var image = Path.Combine(dataset.Folder, "images", "a.png");
        var listed = DatasetBuilder.Sha256Of(image);

        var result = await harness.ImportAsync(uri);
        File.AppendAllText(image, "tampered");
        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(uri, attempt: 2));

        Assert.Equal(1, result.TrainImageCount);
        Assert.Equal($"Dataset image 'a' (images/a.png) has sha256 {DatasetBuilder.Sha256Of(image)}, but the manifest says {listed}.", refusal.Message);
    }

    [Fact]
    public async Task An_image_that_does_not_decode_is_skipped_and_counted()
    {
        dataset.AddImage("a").AddCorruptImage("broken").AddImage("b", split: "test").WriteManifest();

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder));

        Assert.Equal((1, 1, 1), (result.TrainImageCount, result.TestImageCount, result.SkippedImageCount));
        Assert.DoesNotContain("broken", (await harness.ManifestAsync()).Images.Select(image => image.Id));
        Assert.Equal(["a", "b"], await harness.DetectionListAsync());
        // Checked where it was streamed to, and not left there.
        Assert.False(harness.Store.Exists($"{ArtifactKeys.Dataset(harness.TrainingId, 1)}/images/broken.png"));
    }

    [Fact]
    public async Task Requested_categories_keep_only_their_annotations()
    {
        dataset.AddImage("a").WriteManifest();

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder), categories: [new Category { Id = "2", Name = "dog" }]);

        Assert.Equal(["2"], result.Categories.Select(category => category.Id));
        var manifest = await harness.ManifestAsync();
        Assert.Equal(["2"], manifest.Categories.Select(category => category.Id));
        Assert.All(manifest.Images.SelectMany(image => image.Annotations), annotation => Assert.Equal("2", annotation.CategoryId));
    }

    [Theory]
    [InlineData(DetectionScope.TestImages, new[] { "c" })]
    [InlineData(DetectionScope.TrainImages, new[] { "a", "b" })]
    [InlineData(DetectionScope.None, new string[0])]
    public async Task The_detection_list_follows_DetectOn(DetectionScope scope, string[] expected)
    {
        dataset.AddImage("a").AddImage("b").AddImage("c", split: "test").WriteManifest();

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder), detectOn: scope);

        Assert.Equal(expected, await harness.DetectionListAsync());
        Assert.Equal(expected.Length, result.DetectionImageCount);
    }

    [Fact]
    public async Task A_redelivered_command_overwrites_the_same_keys()
    {
        dataset.AddImage("a").AddImage("b").WriteManifest();
        var uri = DownloaderHarness.FileUri(dataset.Folder);

        await harness.ImportAsync(uri);
        var first = harness.Store.List(ArtifactKeys.Training(harness.TrainingId));
        var again = await harness.ImportAsync(uri);

        Assert.Equal(first, harness.Store.List(ArtifactKeys.Training(harness.TrainingId)));
        // One of the two held out for evaluation (the dataset has no test split), the same one both times.
        Assert.Equal((1, 1, 1), (again.TrainImageCount, again.TestImageCount, again.HeldOutImageCount));
    }

    [Fact]
    public void A_tar_with_plain_entries_is_told_apart_from_json_by_content()
    {
        dataset.AddImage("a").WriteManifest();
        Assert.Equal(Datasets.DatasetFileKind.TarGz, Datasets.ArchiveExtractor.Sniff(dataset.TarGz(new PaxTarEntry(TarEntryType.Directory, "extra/"))));
        Assert.Equal(Datasets.DatasetFileKind.Zip, Datasets.ArchiveExtractor.Sniff(dataset.Zip()));
        Assert.Equal(Datasets.DatasetFileKind.Json, Datasets.ArchiveExtractor.Sniff(dataset.WriteManifest()));
    }

    public void Dispose()
    {
        dataset.Dispose();
        harness.Dispose();
    }
}
