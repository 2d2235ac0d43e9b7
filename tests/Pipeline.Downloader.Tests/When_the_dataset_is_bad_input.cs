using System.Formats.Tar;
using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Tests;

public sealed class When_the_dataset_is_bad_input : IDisposable
{
    private readonly DatasetBuilder dataset = new();
    private DownloaderHarness harness = new();

    private async Task<string> RefusedAsync(string uri, DatasetFormat format = DatasetFormat.Manifest, string? sha256 = null, IReadOnlyList<Category>? categories = null)
    {
        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(uri, format, sha256, categories));
        return refusal.Message;
    }

    [Fact]
    public async Task A_dataset_checksum_mismatch_is_refused()
    {
        dataset.AddImage("a").WriteManifest();

        var message = await RefusedAsync(DownloaderHarness.FileUri(dataset.Zip()), sha256: new string('0', 64));

        Assert.Contains("sha256", message);
    }

    [Fact]
    public async Task An_image_checksum_mismatch_is_refused_naming_the_image()
    {
        dataset.AddImage("a", withSha: true);
        dataset.Images[0] = dataset.Images[0] with { Sha256 = new string('f', 64) };
        dataset.WriteManifest();

        var message = await RefusedAsync(DownloaderHarness.FileUri(dataset.Folder));

        Assert.Contains("'a'", message);
        Assert.Contains("sha256", message);
    }

    [Fact]
    public async Task An_unknown_scheme_is_refused() =>
        Assert.Contains("scheme 'ftp'", await RefusedAsync("ftp://example.com/dataset.zip"));

    [Fact]
    public async Task A_host_not_in_AllowedHosts_is_refused()
    {
        harness = new DownloaderHarness(new DownloaderSettings { AllowedHosts = ["datasets.example.com"] });

        var message = await RefusedAsync("http://127.0.0.1:9/dataset.zip");

        Assert.Contains("host '127.0.0.1'", message);
    }

    [Fact]
    public async Task A_file_outside_AllowedRoots_is_refused()
    {
        dataset.AddImage("a").WriteManifest();
        harness = new DownloaderHarness(new DownloaderSettings { AllowedRoots = [Path.Combine(Path.GetTempPath(), "somewhere-else")] });

        Assert.Contains("outside the allowed folders", await RefusedAsync(DownloaderHarness.FileUri(dataset.Folder)));
    }

    // Extraction happens in work/<id>-<guid>/extracted, and that folder is deleted afterwards: "../../" is the
    // shortest climb that would leave a file behind (in the work folder), so that is what these archives try.
    [Fact]
    public async Task A_zip_entry_that_climbs_out_of_the_folder_is_refused_before_it_is_written()
    {
        dataset.AddImage("a").WriteManifest();

        var refusal = await Record.ExceptionAsync(() => harness.ImportAsync(DownloaderHarness.FileUri(dataset.Zip(("../../evil.txt", "boo")))));

        Assert.Equal([], harness.FilesNamed("evil.txt"));
        Assert.Contains("'../../evil.txt' points outside", Assert.IsType<StageInputException>(refusal).Message);
    }

    [Fact]
    public async Task A_tar_entry_that_climbs_out_of_the_folder_is_refused_before_it_is_written()
    {
        dataset.AddImage("a").WriteManifest();
        var escape = new PaxTarEntry(TarEntryType.RegularFile, "../../evil.txt") { DataStream = new MemoryStream([1, 2, 3]) };

        var refusal = await Record.ExceptionAsync(() => harness.ImportAsync(DownloaderHarness.FileUri(dataset.TarGz(escape))));

        Assert.Equal([], harness.FilesNamed("evil.txt"));
        Assert.Contains("'../../evil.txt' points outside", Assert.IsType<StageInputException>(refusal).Message);
    }

    [Fact]
    public async Task A_tar_entry_with_an_absolute_path_is_refused()
    {
        dataset.AddImage("a").WriteManifest();
        var absolute = new PaxTarEntry(TarEntryType.RegularFile, "/tmp/evil.txt") { DataStream = new MemoryStream([1]) };

        Assert.Contains("points outside", await RefusedAsync(DownloaderHarness.FileUri(dataset.TarGz(absolute))));
    }

    [Fact]
    public async Task A_symlink_in_a_tar_is_refused()
    {
        dataset.AddImage("a").WriteManifest();
        var link = new PaxTarEntry(TarEntryType.SymbolicLink, "images/link.png") { LinkName = "/etc/passwd" };

        Assert.Contains("symbolic link", await RefusedAsync(DownloaderHarness.FileUri(dataset.TarGz(link))));
    }

    [Fact]
    public async Task A_folder_without_a_manifest_is_refused()
    {
        dataset.AddImage("a");

        Assert.Contains("no manifest.json", await RefusedAsync(DownloaderHarness.FileUri(dataset.Folder)));
    }

    [Fact]
    public async Task A_missing_path_is_refused() =>
        Assert.Contains("does not exist", await RefusedAsync(DownloaderHarness.FileUri(Path.Combine(dataset.Root, "nothing-here.json"))));

    [Fact]
    public async Task Malformed_json_is_refused()
    {
        dataset.AddImage("a");
        File.WriteAllText(Path.Combine(dataset.Folder, "manifest.json"), "{ \"categories\": [ oops");

        Assert.Contains("not valid Manifest JSON", await RefusedAsync(DownloaderHarness.FileUri(dataset.Folder)));
    }

    [Fact]
    public async Task A_manifest_image_path_that_climbs_out_is_counted_outside_the_root_and_never_read()
    {
        dataset.AddImage("a");
        dataset.Images[0] = dataset.Images[0] with { File = "../outside.png" };
        dataset.WriteManifest();

        Assert.Contains("1 listed: 1 outside the dataset root, e.g. ../outside.png", await RefusedAsync(DownloaderHarness.FileUri(dataset.Folder)));
    }

    [Fact]
    public async Task A_dataset_file_over_MaxDatasetBytes_is_refused()
    {
        dataset.AddImage("a").AddImage("b").WriteManifest();
        var archive = dataset.Zip();
        harness = new DownloaderHarness(new DownloaderSettings { MaxDatasetBytes = new FileInfo(archive).Length - 1 });

        Assert.Contains("MaxDatasetBytes", await RefusedAsync(DownloaderHarness.FileUri(archive)));
    }

    [Fact]
    public async Task An_annotation_file_over_MaxAnnotationFileBytes_is_refused_before_it_is_parsed()
    {
        dataset.AddImage("a");
        // Not JSON at all: had it been parsed, the refusal would say so instead of naming the limit.
        File.WriteAllText(Path.Combine(dataset.Folder, "manifest.json"), new string('x', 4_096));
        harness = new DownloaderHarness(new DownloaderSettings { MaxAnnotationFileBytes = 4_095 });

        Assert.Equal("Dataset file 'manifest.json' is 4096 bytes, more than Downloader:MaxAnnotationFileBytes (4095).",
            await RefusedAsync(DownloaderHarness.FileUri(dataset.Folder)));
    }

    [Fact]
    public async Task A_COCO_file_listing_more_than_MaxImages_MaxAnnotations_or_MaxCategories_is_refused_naming_the_limit()
    {
        dataset.AddImage("a").AddImage("b").AddImage("c");
        var coco = DownloaderHarness.FileUri(dataset.WriteCoco());

        harness = new DownloaderHarness(new DownloaderSettings { MaxImages = 2 });
        Assert.Equal("Dataset lists 3 images, more than Downloader:MaxImages (2).", await RefusedAsync(coco, DatasetFormat.Coco));
        harness = new DownloaderHarness(new DownloaderSettings { MaxAnnotations = 5 });
        Assert.Equal("Dataset lists 6 annotations, more than Downloader:MaxAnnotations (5).", await RefusedAsync(coco, DatasetFormat.Coco));
        harness = new DownloaderHarness(new DownloaderSettings { MaxCategories = 1 });
        Assert.Equal("Dataset lists 2 categories, more than Downloader:MaxCategories (1).", await RefusedAsync(coco, DatasetFormat.Coco));
    }

    [Fact]
    public async Task An_archive_that_extracts_past_MaxDatasetBytes_is_refused()
    {
        dataset.AddImage("a").WriteManifest();
        var archive = dataset.Zip(("padding.bin", new string('x', 200_000)));
        harness = new DownloaderHarness(new DownloaderSettings { MaxDatasetBytes = 100_000 });

        Assert.Contains("extracts to more than Downloader:MaxDatasetBytes", await RefusedAsync(DownloaderHarness.FileUri(archive)));
    }

    [Fact]
    public async Task A_requested_category_the_dataset_lacks_is_refused_naming_it()
    {
        dataset.AddImage("a").WriteManifest();

        var message = await RefusedAsync(DownloaderHarness.FileUri(dataset.Folder),
            categories: [new Category { Id = "1", Name = "cat" }, new Category { Id = "7", Name = "horse" }]);

        Assert.Contains("'7' (horse)", message);
        Assert.DoesNotContain("'1'", message);
    }

    [Fact]
    public async Task A_dataset_whose_images_all_fail_to_decode_is_refused()
    {
        dataset.AddCorruptImage("x").AddCorruptImage("y").WriteManifest();

        Assert.Contains("no images that decode", await RefusedAsync(DownloaderHarness.FileUri(dataset.Folder)));
    }

    [Fact]
    public async Task A_dataset_without_train_images_is_refused()
    {
        dataset.AddImage("a", split: "test").WriteManifest();

        Assert.Contains("no train images", await RefusedAsync(DownloaderHarness.FileUri(dataset.Folder)));
    }

    [Fact]
    public async Task A_coco_bbox_without_4_numbers_is_refused_naming_the_image()
    {
        dataset.AddImage("a");
        var coco = dataset.WriteCoco();
        File.WriteAllText(coco, File.ReadAllText(coco).Replace("\"bbox\":[", "\"bbox\":[1,"));

        var message = await RefusedAsync(DownloaderHarness.FileUri(coco), DatasetFormat.Coco);

        Assert.Equal("COCO annotation of image 1 has a bbox of 5 numbers, not 4.", message);
    }

    public void Dispose()
    {
        dataset.Dispose();
        harness.Dispose();
    }
}
