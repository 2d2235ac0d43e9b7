using System.Collections.Concurrent;
using Pipeline.Vision.Data;

namespace Pipeline.Vision.Training;

/// <summary>
/// The training images decoded at the model's resolution, the way a PyTorch DataLoader with workers serves them:
/// decoded in parallel ahead of the step that needs them, and kept within <see cref="BudgetBytes"/> (the least
/// recently used go first), so memory no longer grows with the number of images. A dataset that fits the budget is
/// decoded once, as when every image was held.
/// </summary>
public sealed class DecodedImages
{
    /// <summary>What the decoded images of one training may hold; the process's choice (<c>Trainer:DecodedImageBudgetMiB</c>).</summary>
    public static long BudgetBytes { get; set; } = 256L << 20;

    private readonly IReadOnlyList<DatasetImage> images;
    private readonly int resolution;
    private readonly long budget;
    private readonly Dictionary<int, LinkedListNode<(int Index, byte[] Pixels)>> cached = [];
    private readonly LinkedList<(int Index, byte[] Pixels)> recent = new();
    private readonly ConcurrentDictionary<int, Lazy<Task<byte[]>>> decoding = new();
    private readonly SemaphoreSlim decoders = new(Math.Max(1, Environment.ProcessorCount));

    // Dropped images' buffers, decoded into again: every image has the same size, and a fresh large array per decode
    // would leave the collector's large-object heap growing with garbage at every step.
    private readonly ConcurrentBag<byte[]> spare = [];
    private readonly Lock gate = new();
    private long held;

    public DecodedImages(IReadOnlyList<DatasetImage> images, int resolution, long? budgetBytes = null)
    {
        this.images = images;
        this.resolution = resolution;
        budget = budgetBytes ?? BudgetBytes;
    }

    /// <summary>How many decoded images are held now.</summary>
    public int Held
    {
        get
        {
            lock (gate)
            {
                return cached.Count;
            }
        }
    }

    /// <summary>The image's CHW bytes: held, being decoded ahead, or decoded now.</summary>
    public byte[] Get(int index)
    {
        lock (gate)
        {
            if (cached.TryGetValue(index, out var node))
            {
                recent.Remove(node);
                recent.AddFirst(node);
                return node.Value.Pixels;
            }
        }

        var pixels = decoding.GetOrAdd(index, Start).Value.GetAwaiter().GetResult();
        decoding.TryRemove(index, out _);
        Keep(index, pixels);
        return pixels;
    }

    /// <summary>Starts decoding the images a coming step needs, in the background.</summary>
    public void Prefetch(IEnumerable<int> indices)
    {
        foreach (var index in indices)
        {
            lock (gate)
            {
                if (cached.ContainsKey(index))
                {
                    continue;
                }
            }

            _ = decoding.GetOrAdd(index, Start).Value;
        }
    }

    private Lazy<Task<byte[]>> Start(int index) => new(() => Task.Run(async () =>
    {
        await decoders.WaitAsync();
        try
        {
            var into = spare.TryTake(out var buffer) ? buffer : new byte[3 * resolution * resolution];
            return ImageDecoder.LoadResizedChw(images[index].Path, resolution, into, out _, out _);
        }
        finally
        {
            decoders.Release();
        }
    }));

    private void Keep(int index, byte[] pixels)
    {
        lock (gate)
        {
            if (cached.ContainsKey(index))
            {
                return;
            }

            cached[index] = recent.AddFirst((index, pixels));
            held += pixels.Length;
            while (held > budget && recent.Count > 1)
            {
                var oldest = recent.Last!;
                recent.RemoveLast();
                cached.Remove(oldest.Value.Index);
                held -= oldest.Value.Pixels.Length;
                // The step that asked for it has copied it already: only a decode writes into it next.
                spare.Add(oldest.Value.Pixels);
            }
        }
    }
}
