using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Vision.Models;

public sealed record CenterNetLosses(Tensor Total, Tensor Heatmap, Tensor Size, Tensor Offset, Tensor Classes);

/// <summary>CenterNet's losses: penalty-reduced focal loss on the heatmap, L1 on size and offset at centres, BCE on classes.</summary>
public static class CenterNetLoss
{
    public const float SizeWeight = 0.1f;

    public static CenterNetLosses Compute(CenterNetOutput output, CenterNetTargets targets, bool hasClassification)
    {
        var heatmap = FocalLoss(output.Heatmap, targets.Heatmap);
        var size = GatheredL1(output.Size, targets.Size, targets.Indices, targets.BoxMask);
        var offset = GatheredL1(output.Offset, targets.Offset, targets.Indices, targets.Mask);
        var classes = hasClassification
            ? nn.functional.binary_cross_entropy_with_logits(output.Classes, targets.Classes)
            : zeros([], device: output.Classes.device);
        var total = heatmap.add(size.mul(Scalars.SizeWeight), Scalars.One).add(offset, Scalars.One).add(classes, Scalars.One);
        return new CenterNetLosses(total, heatmap, size, offset, classes);
    }

    private static Tensor FocalLoss(Tensor logits, Tensor target)
    {
        // Explicit long-lived Scalars throughout: see Scalars for why no literal meets a tensor here.
        var prediction = logits.sigmoid().clamp(Scalars.ProbabilityFloor, Scalars.ProbabilityCeiling);
        var positive = target.eq(Scalars.One).to(ScalarType.Float32);
        var negative = positive.neg().add_(Scalars.One, Scalars.One);
        var oneMinusPrediction = prediction.neg().add_(Scalars.One, Scalars.One);
        var negativeWeight = target.neg().add_(Scalars.One, Scalars.One).pow(Scalars.Four);
        var positiveLoss = (prediction.log() * oneMinusPrediction.pow(Scalars.Two) * positive).sum();
        var negativeLoss = (oneMinusPrediction.log() * prediction.pow(Scalars.Two) * negativeWeight * negative).sum();
        var count = positive.sum().clamp_min(Scalars.One);
        return positiveLoss.add(negativeLoss, Scalars.One).neg() / count;
    }

    private static Tensor GatheredL1(Tensor map, Tensor target, Tensor indices, Tensor mask)
    {
        var (b, c) = (map.shape[0], map.shape[1]);
        var flat = map.view(b, c, -1);
        var index = indices.unsqueeze(1).expand(b, c, indices.shape[1]);
        var predicted = flat.gather(2, index);
        var weight = mask.unsqueeze(1);
        using var channels = ((double)c).ToScalar();
        return ((predicted - target).abs() * weight).sum() / weight.sum().mul(channels).add_(Scalars.Tiny, Scalars.One);
    }
}
