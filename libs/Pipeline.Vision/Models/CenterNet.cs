using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Pipeline.Vision.Models;

/// <summary>
/// An anchor-free single-stage detector in the manner of CenterNet ("Objects as Points"): a small conv
/// backbone down to stride 16, a two-step top-down path back to stride 4, and three heads at stride 4 —
/// a heatmap per spatial category (box and point), box width/height, and the sub-cell centre offset — plus a
/// globally pooled head for image-level classification categories. Width scales every layer.
/// bench/vision/centernet.py mirrors this module layer for layer.
/// </summary>
public sealed class CenterNet : Module<Tensor, CenterNetOutput>
{
    public const string ArchitectureName = "centernet-s4";
    public const int Stride = 4;

    private readonly Sequential stem, stage4, stage8, stage16, up8, up4;
    private readonly Sequential heatmap, size, offset;
    private readonly Linear classes;

    public CenterNet(int spatialCategories, int classificationCategories, int width = 16) : base(nameof(CenterNet))
    {
        var w = width;
        stem = Sequential(Cbr(3, w, 2));
        stage4 = Sequential(Cbr(w, 2 * w, 2), Cbr(2 * w, 2 * w));
        stage8 = Sequential(Cbr(2 * w, 4 * w, 2), Cbr(4 * w, 4 * w));
        stage16 = Sequential(Cbr(4 * w, 6 * w, 2), Cbr(6 * w, 6 * w), Cbr(6 * w, 6 * w));
        up8 = Sequential(Cbr(6 * w + 4 * w, 4 * w));
        up4 = Sequential(Cbr(4 * w + 2 * w, 2 * w));
        heatmap = Head(2 * w, Math.Max(1, spatialCategories));
        size = Head(2 * w, 2);
        offset = Head(2 * w, 2);
        classes = Linear(6 * w, Math.Max(1, classificationCategories));
        RegisterComponents();

        // Start the heatmap near 0.1 everywhere (CenterNet's prior): the focal loss is stable from the first step.
        using (no_grad())
        {
            var last = (Conv2d)heatmap[2];
            last.bias!.fill_(Scalars.HeatmapPrior);
        }
    }

    public override CenterNetOutput forward(Tensor input)
    {
        // Every intermediate is held in a local until the method ends, then let go. TorchSharp hands libtorch only a
        // tensor's handle, so a tensor no managed code refers to any more (an argument of cat, say) may be finalised by
        // the collector while libtorch still reads it: outside a dispose scope, one forward pass in about twenty under
        // parallel tests gave an all-NaN heatmap and size, from weights identical to a pass that did not.
        using var c2 = stem.forward(input);
        using var c4 = stage4.forward(c2);
        using var c8 = stage8.forward(c4);
        using var c16 = stage16.forward(c8);
        using var c16Up = Upsample2(c16);
        using var in8 = cat([c16Up, c8], 1);
        using var p8 = up8.forward(in8);
        using var p8Up = Upsample2(p8);
        using var in4 = cat([p8Up, c4], 1);
        using var p4 = up4.forward(in4);
        using var pooledMap = functional.adaptive_avg_pool2d(c16, 1);
        using var pooled = pooledMap.flatten(1);
        return new CenterNetOutput(heatmap.forward(p4), size.forward(p4), offset.forward(p4), classes.forward(pooled));
    }

    private static Tensor Upsample2(Tensor x) =>
        functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);

    private static Sequential Cbr(long input, long output, long stride = 1) => Sequential(
        Conv2d(input, output, 3, stride: stride, padding: 1, bias: false),
        new BatchNorm(output),
        ReLU(inplace: true));

    private static Sequential Head(long input, long output) => Sequential(
        Conv2d(input, input, 3, padding: 1),
        ReLU(inplace: true),
        Conv2d(input, output, 1));
}

/// <summary>Raw head outputs: heatmap logits [B,C,H/4,W/4], size and offset [B,2,H/4,W/4], class logits [B,K].</summary>
public sealed record CenterNetOutput(Tensor Heatmap, Tensor Size, Tensor Offset, Tensor Classes);
