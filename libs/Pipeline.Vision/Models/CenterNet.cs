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
        using var c2 = stem.forward(input);
        var c4 = stage4.forward(c2);
        var c8 = stage8.forward(c4);
        var c16 = stage16.forward(c8);
        var p8 = up8.forward(cat([Upsample2(c16), c8], 1));
        var p4 = up4.forward(cat([Upsample2(p8), c4], 1));
        var pooled = functional.adaptive_avg_pool2d(c16, 1).flatten(1);
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
