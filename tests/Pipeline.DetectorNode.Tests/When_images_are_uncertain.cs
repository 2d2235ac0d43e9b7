using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Artifacts;

namespace Pipeline.DetectorNode.Tests;

[Collection(NodeCollection.Name)]
public sealed class When_images_are_uncertain(NodeFixture fixture)
{
    // Every detection of the test model lies in this band: each image sent is uncertain.
    private static readonly Dictionary<string, string?> WideBand = new() { ["DetectorNode:UncertainBand:Min"] = "0.0", ["DetectorNode:UncertainBand:Max"] = "1.0" };

    [Fact]
    public async Task Each_reaches_the_projects_inbox_as_its_image_then_detections_json_last()
    {
        var (organization, project) = NodeFixture.NewProject();
        fixture.Register(organization, project, 1);
        var store = new RecordingStore(fixture.Models.StoreRoot);
        await using var node = await fixture.StartNodeAsync(organization, project, WideBand, services => services.AddSingleton<IArtifactStore>(store));
        await node.WaitUntilServingAsync(1);
        var images = fixture.Models.TestImages.Take(3).ToArray();

        using var response = await node.Client.PostAsync("/detect/batch", NodeHost.Form(images));
        var answered = await NodeHost.ReadAsync<NodeDetectionBatch>(response);

        var inbox = ArtifactKeys.Inbox(organization, project);
        await Eventually.TrueAsync(() => store.List(inbox).Count(k => k.EndsWith("/detections.json")) == 3 && node.Outbox.Count == 0,
            TimeSpan.FromSeconds(30), () => $"inbox holds {string.Join(", ", store.List(inbox))}; outbox {node.Outbox.Count}");
        var items = store.List(inbox).GroupBy(key => key[..key.LastIndexOf('/')]).ToList();
        Assert.Equal(3, items.Count);
        foreach (var item in items)
        {
            Assert.Equal(["detections.json", "image.png"], item.Select(key => key[(key.LastIndexOf('/') + 1)..]).Order());
            var order = store.Written.Where(key => key.StartsWith(item.Key + "/", StringComparison.Ordinal)).ToList();
            Assert.Equal([$"{item.Key}/image.png", $"{item.Key}/detections.json"], order);
            await using var json = await store.OpenReadAsync($"{item.Key}/detections.json");
            var detections = JsonSerializer.Deserialize<ImageDetections>(json, ContractJson.Files)!;
            Assert.Equal(item.Key[(item.Key.LastIndexOf('/') + 1)..], detections.ImageId);
            Assert.Equal(answered.ModelId, detections.Boxes.Concat<object>(detections.Points).Any()
                ? detections.Boxes.Select(b => b.ModelId).Concat(detections.Points.Select(p => p.ModelId)).First()
                : detections.Classifications.First().ModelId);
        }

        // The images themselves, byte for byte.
        var sent = images.Select(path => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)))).Order();
        var arrived = items.Select(item => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(store.GetLocalPath($"{item.Key}/image.png"))))).Order();
        Assert.Equal(sent, arrived);
    }

    [Fact]
    public async Task An_image_whose_detections_all_lie_outside_the_band_is_not_kept()
    {
        var (organization, project) = NodeFixture.NewProject();
        fixture.Register(organization, project, 1);
        await using var node = await fixture.StartNodeAsync(organization, project,
            new Dictionary<string, string?> { ["DetectorNode:UncertainBand:Min"] = "1.5", ["DetectorNode:UncertainBand:Max"] = "2.0" });
        await node.WaitUntilServingAsync(1);

        using var response = await node.Client.PostAsync("/detect/batch", NodeHost.Form(fixture.Models.TestImages.Take(3).ToArray()));

        // The outbox is written before the answer leaves: nothing there now means nothing was kept.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, node.Outbox.Count);
        Assert.Empty(Directory.GetFileSystemEntries(node.OutboxFolder));
    }

    [Fact]
    public async Task A_failed_upload_stays_in_the_local_outbox_and_is_tried_again_until_it_arrives()
    {
        var (organization, project) = NodeFixture.NewProject();
        fixture.Register(organization, project, 1);
        var store = new RecordingStore(fixture.Models.StoreRoot, failures: 3);
        await using var node = await fixture.StartNodeAsync(organization, project, WideBand, services => services.AddSingleton<IArtifactStore>(store));
        await node.WaitUntilServingAsync(1);

        using var response = await node.Client.PostAsync("/detect", NodeHost.Form(fixture.Models.TestImages[0]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var waiting = Assert.Single(node.Outbox.Waiting());

        var inbox = ArtifactKeys.InboxItem(organization, project, waiting.Id);
        await Eventually.TrueAsync(() => store.Exists($"{inbox}/detections.json") && node.Outbox.Count == 0, TimeSpan.FromSeconds(30),
            () => $"{store.Failed} failures; outbox {node.Outbox.Count}");
        Assert.Equal(3, store.Failed);
        Assert.False(Directory.Exists(waiting.Folder));
    }
}
