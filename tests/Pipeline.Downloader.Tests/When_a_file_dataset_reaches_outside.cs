using System.Diagnostics;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Tests;

/// <summary>
/// file:// datasets name paths on the Downloader's own machine: only what really lies under Downloader:AllowedRoots
/// (links resolved, parent folders' too) and only regular files are read.
/// </summary>
public sealed class When_a_file_dataset_reaches_outside : IDisposable
{
    // Long enough for a slow machine, short of forever: a read of a FIFO or /dev/zero never ends by itself.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly DatasetBuilder dataset = new();
    private readonly List<DownloaderHarness> harnesses = [];

    private string Allowed => Directory.CreateDirectory(Path.Combine(dataset.Root, "allowed")).FullName;

    [Fact]
    public async Task With_no_AllowedRoots_a_file_dataset_is_refused_naming_the_setting()
    {
        dataset.AddImage("a").WriteManifest();

        var refusal = await RefusedAsync(new DownloaderSettings { AllowedRoots = [] }, dataset.Folder);

        Assert.Contains("Downloader:AllowedRoots names no folder datasets may be read from", refusal);
    }

    [Fact]
    public async Task A_dataset_under_a_root_through_a_linked_parent_folder_that_leads_outside_is_refused()
    {
        dataset.AddImage("a").WriteManifest();
        var linked = Path.Combine(Allowed, "linked");
        Directory.CreateSymbolicLink(linked, dataset.Folder);

        var refusal = await RefusedAsync(new DownloaderSettings { AllowedRoots = [Allowed] }, Path.Combine(linked, "manifest.json"));

        Assert.Contains($"Dataset path '{Path.Combine(linked, "manifest.json")}' (really '{Path.Combine(dataset.Folder, "manifest.json")}') is outside the allowed folders", refusal);
    }

    [Fact]
    public async Task An_image_folder_linked_outside_the_roots_is_refused_naming_the_image()
    {
        // The manifest lies in the root; its images folder is a link to a folder outside it.
        dataset.AddImage("a").WriteManifest();
        var inside = Path.Combine(Allowed, "set");
        Directory.CreateDirectory(inside);
        File.Copy(Path.Combine(dataset.Folder, "manifest.json"), Path.Combine(inside, "manifest.json"));
        Directory.CreateSymbolicLink(Path.Combine(inside, "images"), Path.Combine(dataset.Folder, "images"));

        var refusal = await RefusedAsync(new DownloaderSettings { AllowedRoots = [Allowed] }, inside);

        Assert.Contains($"Dataset image 'a' (images/a.png) is really '{Path.Combine(dataset.Folder, "images", "a.png")}', outside the dataset's folders", refusal);
    }

    [Fact]
    public async Task An_image_linked_to_dev_zero_is_refused_as_a_character_device_before_it_is_read()
    {
        dataset.AddImage("a").AddImage("zero").WriteManifest();
        var image = Path.Combine(dataset.Folder, "images", "zero.png");
        File.Delete(image);
        File.CreateSymbolicLink(image, "/dev/zero");

        // /dev among the roots: the file type, not the folder, is what refuses it.
        var refusal = await RefusedAsync(new DownloaderSettings { AllowedRoots = [dataset.Root, "/dev"] }, dataset.Folder);

        Assert.Equal("Dataset image 'zero' (images/zero.png) is a character device, not a regular file.", refusal);
    }

    [Fact]
    public async Task An_image_that_is_a_FIFO_is_refused_without_opening_it()
    {
        dataset.AddImage("a").AddImage("fifo").WriteManifest();
        var image = Path.Combine(dataset.Folder, "images", "fifo.png");
        File.Delete(image);
        using (var mkfifo = Process.Start("mkfifo", image))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var refusal = await RefusedAsync(new DownloaderSettings { AllowedRoots = [dataset.Root] }, dataset.Folder);

        Assert.Equal("Dataset image 'fifo' (images/fifo.png) is a FIFO, not a regular file.", refusal);
    }

    [Fact]
    public async Task A_dataset_file_that_is_a_FIFO_is_refused_without_opening_it()
    {
        var fifo = Path.Combine(dataset.Root, "manifest.json");
        using (var mkfifo = Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync();
        }

        var refusal = await RefusedAsync(new DownloaderSettings { AllowedRoots = [dataset.Root] }, fifo);

        Assert.EndsWith("is a FIFO, not a regular file.", refusal);
    }

    [Fact]
    public async Task A_linked_image_that_stays_inside_the_roots_is_read()
    {
        dataset.AddImage("a").AddImage("b").WriteManifest();
        var image = Path.Combine(dataset.Folder, "images", "b.png");
        var elsewhere = Path.Combine(Allowed, "b.png");
        File.Move(image, elsewhere);
        File.CreateSymbolicLink(image, elsewhere);
        var harness = Harness(new DownloaderSettings { AllowedRoots = [dataset.Root] });

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder)).WaitAsync(Bound);

        Assert.Equal(2, result.TrainImageCount + result.TestImageCount);
    }

    private async Task<string> RefusedAsync(DownloaderSettings settings, string path)
    {
        var harness = Harness(settings);
        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(DownloaderHarness.FileUri(path)).WaitAsync(Bound));
        return refusal.Message;
    }

    private DownloaderHarness Harness(DownloaderSettings settings)
    {
        var harness = new DownloaderHarness(settings);
        harnesses.Add(harness);
        return harness;
    }

    public void Dispose()
    {
        harnesses.ForEach(h => h.Dispose());
        dataset.Dispose();
    }
}
