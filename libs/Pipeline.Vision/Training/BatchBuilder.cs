using TorchSharp;
using System.Runtime.InteropServices;
using Pipeline.Vision.Data;
using Pipeline.Vision.Models;
using static TorchSharp.torch;

namespace Pipeline.Vision.Training;

/// <summary>
/// Holds the training images decoded once at the model's resolution, and builds augmented batches from them.
/// Which images and which flips an iteration gets depends only on the seed and the iteration number, so a
/// resumed training sees the same batches the uninterrupted one would have.
/// </summary>
public sealed class BatchBuilder
{
    private readonly IReadOnlyList<DatasetImage> images;
    private readonly byte[][] pixels;
    private readonly Hyperparameters hp;
    private readonly int seed;
    private readonly CategoryLayout layout;
    private int permutationEpoch = -1;
    private int[] permutation = [];

    public BatchBuilder(IReadOnlyList<DatasetImage> images, CategoryLayout layout, Hyperparameters hp, int seed)
    {
        this.seed = seed;
        if (images.Count == 0) throw new ArgumentException("The dataset has no training images", nameof(images));
        this.images = images;
        this.layout = layout;
        this.hp = hp;
        pixels = new byte[images.Count][];
        Parallel.For(0, images.Count, i => pixels[i] = ImageDecoder.LoadResizedChw(images[i].Path, hp.Resolution, out _, out _));
    }

    public int Count => images.Count;

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
        for (var j = 0; j < hp.BatchSize; j++)
        {
            var index = ImageAt((long)iteration * hp.BatchSize + j);
            var flipRl = hp.FlipRl && flips.Next(2) == 1;
            var flipUd = hp.FlipUd && flips.Next(2) == 1;
            Augmentation.CopyNormalised(pixels[index], pixelsOut.Slice(j * plane, plane), size, flipRl, flipUd);
            var image = images[index];
            annotations.Add(image.Annotations
                .Select(a => Augmentation.ToModelInput(a, image.Width, image.Height, size, flipRl, flipUd))
                .ToList());
        }
        if (device.type != DeviceType.CPU) input = input.to(device);
        return (input, CenterNetEncoder.Encode(annotations, layout, size, device));
    }

    /// <summary>Walks a fresh seeded permutation of the images each epoch.</summary>
    private int ImageAt(long sample)
    {
        var epoch = (int)(sample / images.Count);
        if (epoch != permutationEpoch)
        {
            permutation = Enumerable.Range(0, images.Count).ToArray();
            new Random(unchecked(seed * 31 + epoch)).Shuffle(permutation);
            permutationEpoch = epoch;
        }
        return permutation[(int)(sample % images.Count)];
    }
}
