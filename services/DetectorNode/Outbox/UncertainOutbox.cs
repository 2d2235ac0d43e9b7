using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;

namespace Pipeline.DetectorNode.Outbox;

/// <summary>
/// Uncertain images on this machine's disk, waiting for the uploader. An item is written whole into a hidden folder and
/// renamed into place, so a crash never leaves half an item; past <c>OutboxMaxItems</c> or <c>OutboxMaxBytes</c> the oldest
/// items are dropped first. Folders are named by when they were saved, so the order survives a restart.
/// </summary>
public sealed class UncertainOutbox : IDisposable
{
    public const string DetectionsFile = "detections.json";
    private const string PartialPrefix = ".partial-";

    private readonly DetectorNodeSettings settings;
    private readonly ILogger<UncertainOutbox> logger;
    private readonly Lock gate = new();
    // Oldest first: by the folder name, which starts with the save time in ticks.
    private readonly SortedDictionary<string, OutboxItem> items = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim saved = new(0);
    private long bytes;

    public UncertainOutbox(IOptions<DetectorNodeSettings> options, ILogger<UncertainOutbox> logger)
    {
        settings = options.Value;
        this.logger = logger;
        Folder = Path.GetFullPath(settings.OutboxFolder);
        Directory.CreateDirectory(Folder);
        foreach (var partial in Directory.GetDirectories(Folder, PartialPrefix + "*"))
        {
            Directory.Delete(partial, recursive: true);
        }

        foreach (var folder in Directory.GetDirectories(Folder))
        {
            if (Read(folder) is { } item)
            {
                items[Path.GetFileName(folder)] = item;
                bytes += item.Bytes;
            }
        }
    }

    public string Folder { get; }

    public int Count
    {
        get
        {
            lock (gate)
            {
                return items.Count;
            }
        }
    }

    public long Bytes => Interlocked.Read(ref bytes);

    /// <summary>Saves the image (its format names the extension) with its detections, then drops the oldest past the bounds.</summary>
    public OutboxItem Save(byte[] image, string format, ImageDetections detections)
    {
        var id = Guid.NewGuid();
        var name = $"{DateTime.UtcNow.Ticks.ToString("D19", CultureInfo.InvariantCulture)}-{id:N}";
        var partial = Path.Combine(Folder, PartialPrefix + name);
        var imageFile = $"image.{ExtensionOf(format)}";
        Directory.CreateDirectory(partial);
        File.WriteAllBytes(Path.Combine(partial, imageFile), image);
        var json = JsonSerializer.SerializeToUtf8Bytes(detections with { ImageId = id.ToString("N") }, ContractJson.Files);
        File.WriteAllBytes(Path.Combine(partial, DetectionsFile), json);
        var folder = Path.Combine(Folder, name);
        Directory.Move(partial, folder);
        var item = new OutboxItem(id, folder, imageFile, image.Length + json.Length);

        lock (gate)
        {
            items[name] = item;
            Interlocked.Add(ref bytes, item.Bytes);
            while (items.Count > Math.Max(1, settings.OutboxMaxItems) || (items.Count > 1 && bytes > settings.OutboxMaxBytes))
            {
                var oldest = items.First();
                RemoveLocked(oldest.Key, oldest.Value);
                logger.LogWarning("The outbox is full ({MaxItems} items, {MaxBytes} bytes): dropped its oldest item {ItemId}",
                    settings.OutboxMaxItems, settings.OutboxMaxBytes, oldest.Value.Id);
            }
        }

        saved.Release();
        return item;
    }

    /// <summary>The items waiting, oldest first.</summary>
    public IReadOnlyList<OutboxItem> Waiting()
    {
        lock (gate)
        {
            return items.Values.ToList();
        }
    }

    /// <summary>Removes an item once it has reached the inbox (or was dropped meanwhile: then nothing happens).</summary>
    public void Remove(OutboxItem item)
    {
        lock (gate)
        {
            var name = Path.GetFileName(item.Folder);
            if (items.TryGetValue(name, out var held) && held == item)
            {
                RemoveLocked(name, item);
            }
        }
    }

    /// <summary>Waits until an item is saved, or the time is up.</summary>
    public Task WaitForItemAsync(TimeSpan timeout, CancellationToken cancellationToken) => saved.WaitAsync(timeout, cancellationToken);

    private void RemoveLocked(string name, OutboxItem item)
    {
        items.Remove(name);
        Interlocked.Add(ref bytes, -item.Bytes);
        if (Directory.Exists(item.Folder))
        {
            Directory.Delete(item.Folder, recursive: true);
        }
    }

    private static OutboxItem? Read(string folder)
    {
        var name = Path.GetFileName(folder);
        var dash = name.IndexOf('-');
        var image = Directory.GetFiles(folder, "image.*").FirstOrDefault();
        var detections = Path.Combine(folder, DetectionsFile);
        if (dash < 0 || !Guid.TryParseExact(name[(dash + 1)..], "N", out var id) || image is null || !File.Exists(detections))
        {
            return null;
        }

        return new OutboxItem(id, folder, Path.GetFileName(image), new FileInfo(image).Length + new FileInfo(detections).Length);
    }

    private static string ExtensionOf(string format) => format switch
    {
        "jpeg" => "jpg",
        _ => format,
    };

    public void Dispose() => saved.Dispose();
}
