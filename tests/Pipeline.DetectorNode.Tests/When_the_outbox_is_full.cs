using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.DetectorNode.Outbox;

namespace Pipeline.DetectorNode.Tests;

/// <summary>The local outbox on its own, on a real folder: its bounds, its order, and what a restart finds.</summary>
public sealed class When_the_outbox_is_full : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("detector-node-outbox-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Past_OutboxMaxItems_the_oldest_items_are_dropped_first()
    {
        using var outbox = Outbox(maxItems: 3);

        var saved = Enumerable.Range(0, 5).Select(i => outbox.Save(Image(100), "png", Detections(i))).ToList();

        Assert.Equal(saved.Skip(2).Select(item => item.Id), outbox.Waiting().Select(item => item.Id));
        Assert.All(saved.Take(2), item => Assert.False(Directory.Exists(item.Folder)));
        Assert.Equal(3, Directory.GetDirectories(folder).Length);
    }

    [Fact]
    public void Past_OutboxMaxBytes_the_oldest_items_are_dropped_until_it_fits()
    {
        using var outbox = Outbox(maxItems: 100, maxBytes: 3000);

        var saved = Enumerable.Range(0, 4).Select(i => outbox.Save(Image(1000), "png", Detections(i))).ToList();

        Assert.True(outbox.Bytes <= 3000, $"{outbox.Bytes} bytes held");
        Assert.Equal(saved.Skip(2).Select(item => item.Id), outbox.Waiting().Select(item => item.Id));
        Assert.Equal(outbox.Bytes, Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Sum(file => new FileInfo(file).Length));
    }

    [Fact]
    public void A_restarted_node_finds_its_complete_items_in_order_and_drops_a_half_written_one()
    {
        List<Guid> saved;
        using (var before = Outbox(maxItems: 10))
        {
            saved = Enumerable.Range(0, 3).Select(i => before.Save(Image(50), "jpeg", Detections(i)).Id).ToList();
        }

        // What a crash in the middle of a save leaves: the hidden folder it writes into before the rename.
        var partial = Directory.CreateDirectory(Path.Combine(folder, ".partial-0000000000000000001-" + Guid.NewGuid().ToString("N"))).FullName;
        File.WriteAllBytes(Path.Combine(partial, "image.png"), Image(10));

        using var after = Outbox(maxItems: 10);

        Assert.Equal(saved, after.Waiting().Select(item => item.Id));
        Assert.All(after.Waiting(), item => Assert.Equal("image.jpg", item.ImageFile));
        Assert.False(Directory.Exists(partial));
    }

    private UncertainOutbox Outbox(int maxItems, long maxBytes = long.MaxValue) => new(
        Options.Create(new DetectorNodeSettings { OutboxFolder = folder, OutboxMaxItems = maxItems, OutboxMaxBytes = maxBytes }),
        NullLogger<UncertainOutbox>.Instance);

    private static byte[] Image(int length) => Enumerable.Range(0, length).Select(i => (byte)i).ToArray();

    private static ImageDetections Detections(int i) => new()
    {
        ImageId = $"image-{i}",
        Classifications = [new ClassificationDetection { CategoryId = "dark", CategoryName = "dark", Confidence = 0.4, ModelId = Guid.Empty }],
    };
}
