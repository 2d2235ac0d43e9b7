using TorchSharp;
using System.Runtime.InteropServices;
using Pipeline.Vision.Models;
using static TorchSharp.torch;

namespace Pipeline.Vision.Training;

/// <summary>
/// Builds augmented batches from the training images, decoded at the model's resolution through a bounded cache that
/// decodes the next batches ahead (<see cref="DecodedImages"/>). Which images and which flips an iteration gets depends
/// only on the seed and the iteration number, so a resumed training sees the same batches the uninterrupted one would
/// have, and the images a coming iteration needs are known in advance.
/// </summary>
public sealed class BatchBuilder
{
    /// <summary>How many batches ahead of the step are being decoded.</summary>
    public const int PrefetchBatches = 2;

    private readonly IReadOnlyList<DatasetImage> images;
    private readonly DecodedImages pixels;
    private readonly Hyperparameters hp;
    private readonly int seed;
    private readonly CategoryLayout layout;
    private readonly Dictionary<int, int[]> permutations = [];

    /// <param name="decodedBudgetBytes">What the decoded images may hold; null takes <see cref="DecodedImages.BudgetBytes"/>.</param>
    public BatchBuilder(IReadOnlyList<DatasetImage> images, CategoryLayout layout, Hyperparameters hp, int seed, long? decodedBudgetBytes = null)
    {
        this.seed = seed;
        if (images.Count == 0)
        {
            throw new ArgumentException("The dataset has no training images", nameof(images));
        }

        this.images = images;
        this.layout = layout;
        this.hp = hp;
        pixels = new DecodedImages(images, hp.Resolution, decodedBudgetBytes);
    }

    public int Count => images.Count;

    /// <summary>How many decoded images are held now (bounded by <see cref="DecodedImages.BudgetBytes"/>).</summary>
    public int DecodedHeld => pixels.Held;

    /// <summary>The batch for 0-based <paramref name="iteration"/>: normalised images [B,3,R,R] and targets on <paramref name="device"/>.</summary>
    public (Tensor Images, CenterNetTargets Targets) Build(int iteration, Device device)
    {
        var size = hp.Resolution;
        var plane = 3 * size * size;
        // Written straight into the tensor's native memory: no managed buffer per iteration, so memory stays flat.
        var input = empty([hp.BatchSize, 3, size, size]);
        var pixelsOut = MemoryMarshal.Cast<byte, float>(input.bytes);
        var annotations = new List<IReadOnlyList<Annotation>>(hp.BatchSize);
        var flips = new Random(unchecked(seed * 1_000_003 + iteration * 7919 + 17));
        var indices = Enumerable.Range(0, hp.BatchSize).Select(j => ImageAt((long)iteration * hp.BatchSize + j)).ToArray();
        pixels.Prefetch(indices);
        pixels.Prefetch(Enumerable.Range(1, PrefetchBatches * hp.BatchSize).Select(k => ImageAt(((long)iteration + 1) * hp.BatchSize + k - 1)));
        for (var j = 0; j < hp.BatchSize; j++)
        {
            var index = indices[j];
            var flipRl = hp.FlipRl && flips.Next(2) == 1;
            var flipUd = hp.FlipUd && flips.Next(2) == 1;
            Augmentation.CopyNormalised(pixels.Get(index), pixelsOut.Slice(j * plane, plane), size, flipRl, flipUd);
            var image = images[index];
            annotations.Add(image.Annotations
                .Select(a => Augmentation.ToModelInput(a, image.Width, image.Height, size, flipRl, flipUd))
                .ToList());
        }
        if (device.type != DeviceType.CPU)
        {
            input = input.to(device);
        }

        return (input, CenterNetEncoder.Encode(annotations, layout, size, device));
    }

    /// <summary>Walks a fresh seeded permutation of the images each epoch (the step's and, for the prefetch, the next).</summary>
    private int ImageAt(long sample)
    {
        var epoch = (int)(sample / images.Count);
        if (!permutations.TryGetValue(epoch, out var order))
        {
            foreach (var old in permutations.Keys.Where(e => e < epoch - 1).ToList())
            {
                permutations.Remove(old);
            }

            permutations[epoch] = order = Permutation(epoch);
        }

        return order[(int)(sample % images.Count)];
    }

    private int[] Permutation(int epoch)
    {
        var order = Enumerable.Range(0, images.Count).ToArray();
        new Random(unchecked(seed * 31 + epoch)).Shuffle(order);
        return order;
    }
}
