using Pipeline.Contracts;
using Pipeline.Downloader.Datasets;
using Pipeline.Artifacts;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pipeline.Downloader.Tests;

/// <summary>
/// BeginTraining.IncludeInbox: the project's inbox, as a detector node leaves it in the artifact store (an image and, written
/// last, its detections.json per item), added to the train split through the same image check as any other image.
/// </summary>
public sealed class When_including_the_project_inbox : IDisposable
{
    private readonly DownloaderHarness harness = new();
    private readonly DatasetBuilder dataset = new();
    private readonly Guid boxItem = Guid.NewGuid();
    private readonly Guid classifiedItem = Guid.NewGuid();

    [Fact]
    public async Task Two_complete_items_join_the_train_split_with_their_detections_as_annotations_and_stay_in_the_inbox()
    {
        dataset.AddImage("a").AddImage("b").AddImage("c", split: "test").WriteManifest();
        await WriteItemAsync(boxItem, new ImageDetections
        {
            ImageId = "field-1", Boxes = [new BoxDetection { CategoryId = "2", CategoryName = "dog", X = 2, Y = 3, Width = 5, Height = 4, Confidence = 0.4, ModelId = Guid.NewGuid() }],
        });
        await WriteItemAsync(classifiedItem, new ImageDetections
        {
            ImageId = "field-2", Classifications = [new ClassificationDetection { CategoryId = "1", CategoryName = "cat", Confidence = 0.5, ModelId = Guid.NewGuid() }],
        });
        // Still being written: its image is there, its detections.json not yet.
        var incomplete = Guid.NewGuid();
        await WriteImageAsync(incomplete);
        // A category this dataset does not have.
        var unknown = Guid.NewGuid();
        await WriteItemAsync(unknown, new ImageDetections
        {
            ImageId = "field-3", Boxes = [new BoxDetection { CategoryId = "9", CategoryName = "bird", Width = 1, Height = 1, ModelId = Guid.NewGuid() }],
        });

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder), includeInbox: true);

        Assert.Equal((2, 1, 4, 1, 0), (result.InboxImageCount, result.InboxSkippedCount, result.TrainImageCount, result.TestImageCount, result.SkippedImageCount));
        var manifest = await harness.ManifestAsync();
        var box = Assert.Single(manifest.Images, image => image.Id == $"{ProjectInbox.IdPrefix}{boxItem:N}");
        Assert.Equal(("train", $"{ProjectInbox.StoredUnder}{boxItem:N}/image.png", 16, 12), (box.Split, box.File, box.Width, box.Height));
        Assert.Equal([new ManifestAnnotation { CategoryId = "2", X = 2, Y = 3, Width = 5, Height = 4 }], box.Annotations);
        var classified = Assert.Single(manifest.Images, image => image.Id == $"{ProjectInbox.IdPrefix}{classifiedItem:N}");
        Assert.Equal([new ManifestAnnotation { CategoryId = "1" }], classified.Annotations);
        Assert.DoesNotContain(manifest.Images, image => image.Id.Contains(incomplete.ToString("N")) || image.Id.Contains(unknown.ToString("N")));
        Assert.True(harness.Store.Exists($"{ArtifactKeys.Dataset(harness.TrainingId, 1)}/{box.File}"));
        // The items stay for a user to label later.
        Assert.All(new[] { boxItem, classifiedItem, unknown }, item =>
            Assert.True(harness.Store.Exists($"{ArtifactKeys.InboxItem(harness.Organization, harness.Project, item)}/{ProjectInbox.DetectionsFile}")));
    }

    [Fact]
    public async Task An_inbox_image_that_does_not_decode_is_skipped_as_any_image_is()
    {
        dataset.AddImage("a").AddImage("b", split: "test").WriteManifest();
        await WriteItemAsync(boxItem, new ImageDetections { ImageId = "field-1" });
        var broken = ArtifactKeys.InboxItem(harness.Organization, harness.Project, classifiedItem);
        await harness.Store.WriteAsync($"{broken}/image.png", new MemoryStream("not a png"u8.ToArray()));
        await harness.Store.WriteJsonAsync($"{broken}/{ProjectInbox.DetectionsFile}", new ImageDetections { ImageId = "field-2" });

        var result = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder), includeInbox: true);

        Assert.Equal((1, 0, 1, 2), (result.InboxImageCount, result.InboxSkippedCount, result.SkippedImageCount, result.TrainImageCount));
    }

    [Fact]
    public async Task Without_IncludeInbox_the_inbox_is_not_read_and_inbox_images_are_never_held_out()
    {
        dataset.AddImage("a").AddImage("b").AddImage("c").AddImage("d").WriteManifest();
        await WriteItemAsync(boxItem, new ImageDetections { ImageId = "field-1" });
        await WriteItemAsync(classifiedItem, new ImageDetections { ImageId = "field-2" });

        var without = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder));
        Assert.Equal((0, 4), (without.InboxImageCount, without.TrainImageCount + without.TestImageCount));

        harness.Settings.HeldOutShare = 0.9;
        var with = await harness.ImportAsync(DownloaderHarness.FileUri(dataset.Folder), includeInbox: true, attempt: 2);
        var manifest = await harness.ManifestAsync(attempt: 2);
        Assert.Equal(2, with.InboxImageCount);
        Assert.All(manifest.Images.Where(image => image.Id.StartsWith(ProjectInbox.IdPrefix, StringComparison.Ordinal)),
            image => Assert.Equal("train", image.Split));
        Assert.Equal(3, with.HeldOutImageCount);
    }

    private async Task WriteItemAsync(Guid item, ImageDetections detections)
    {
        await WriteImageAsync(item);
        await harness.Store.WriteJsonAsync($"{ArtifactKeys.InboxItem(harness.Organization, harness.Project, item)}/{ProjectInbox.DetectionsFile}", detections);
    }

    private async Task WriteImageAsync(Guid item)
    {
        using var image = new Image<Rgb24>(16, 12, new Rgb24(200, 20, 30));
        var content = new MemoryStream();
        await image.SaveAsPngAsync(content);
        content.Position = 0;
        await harness.Store.WriteAsync($"{ArtifactKeys.InboxItem(harness.Organization, harness.Project, item)}/image.png", content);
    }

    public void Dispose()
    {
        harness.Dispose();
        dataset.Dispose();
    }
}
