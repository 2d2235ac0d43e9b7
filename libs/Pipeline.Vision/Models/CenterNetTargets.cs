using TorchSharp;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Pipeline.Vision.Models;

/// <summary>Training targets for one batch, on the model's device.</summary>
public sealed record CenterNetTargets(Tensor Heatmap, Tensor Indices, Tensor Mask, Tensor BoxMask, Tensor Size, Tensor Offset, Tensor Classes);

/// <summary>Encodes annotations (already in model-input pixels) as CenterNet targets at stride 4.</summary>
public static class CenterNetEncoder
{
    public const int MaxObjects = 128;
    private const int PointRadius = 2;

    public static CenterNetTargets Encode(IReadOnlyList<IReadOnlyList<Annotation>> batch, CategoryLayout layout, int resolution, Device device)
    {
        var b = batch.Count;
        var channels = Math.Max(1, layout.Spatial.Count);
        var classes = Math.Max(1, layout.Classification.Count);
        var side = resolution / CenterNet.Stride;
        var plane = side * side;
        // Filled in the tensors' own memory: no managed arrays per batch.
        var heatTensor = zeros([b, channels, side, side]);
        var indicesTensor = zeros([b, MaxObjects], ScalarType.Int64);
        var maskTensor = zeros([b, MaxObjects]);
        var boxMaskTensor = zeros([b, MaxObjects]);
        var sizeTensor = zeros([b, 2, MaxObjects]);
        var offsetTensor = zeros([b, 2, MaxObjects]);
        var labelsTensor = zeros([b, classes]);
        var heat = Floats(heatTensor);
        var indices = MemoryMarshal.Cast<byte, long>(indicesTensor.bytes);
        var mask = Floats(maskTensor);
        var boxMask = Floats(boxMaskTensor);
        var size = Floats(sizeTensor);
        var offset = Floats(offsetTensor);
        var labels = Floats(labelsTensor);

        for (var i = 0; i < b; i++)
        {
            var k = 0;
            foreach (var a in batch[i])
            {
                if (layout.ClassificationIndex.TryGetValue(a.CategoryId, out var ci))
                {
                    labels[i * classes + ci] = 1;
                    continue;
                }
                if (!layout.SpatialChannel.TryGetValue(a.CategoryId, out var channel) || k >= MaxObjects)
                {
                    continue;
                }

                float cx, cy;
                int radius;
                if (a.Box is { } box)
                {
                    cx = box.CenterX / CenterNet.Stride;
                    cy = box.CenterY / CenterNet.Stride;
                    var w = box.Width / CenterNet.Stride;
                    var h = box.Height / CenterNet.Stride;
                    if (w <= 0 || h <= 0)
                    {
                        continue;
                    }

                    radius = Math.Max(0, (int)GaussianRadius(h, w));
                    size[(i * 2) * MaxObjects + k] = w;
                    size[(i * 2 + 1) * MaxObjects + k] = h;
                    boxMask[i * MaxObjects + k] = 1;
                }
                else if (a.Point is { } point)
                {
                    cx = point.X / CenterNet.Stride;
                    cy = point.Y / CenterNet.Stride;
                    radius = PointRadius;
                }
                else
                {
                    continue;
                }

                var ix = Math.Clamp((int)cx, 0, side - 1);
                var iy = Math.Clamp((int)cy, 0, side - 1);
                DrawGaussian(heat.Slice((i * channels + channel) * plane, plane), side, ix, iy, radius);
                indices[i * MaxObjects + k] = iy * side + ix;
                offset[(i * 2) * MaxObjects + k] = cx - ix;
                offset[(i * 2 + 1) * MaxObjects + k] = cy - iy;
                mask[i * MaxObjects + k] = 1;
                k++;
            }
        }
        var targets = new CenterNetTargets(heatTensor, indicesTensor, maskTensor, boxMaskTensor, sizeTensor, offsetTensor, labelsTensor);
        return device.type == DeviceType.CPU ? targets : new CenterNetTargets(
            heatTensor.to(device), indicesTensor.to(device), maskTensor.to(device), boxMaskTensor.to(device),
            sizeTensor.to(device), offsetTensor.to(device), labelsTensor.to(device));
    }

    private static Span<float> Floats(Tensor tensor) => MemoryMarshal.Cast<byte, float>(tensor.bytes);

    /// <summary>CenterNet's radius: the largest shift of the corners that still keeps IoU >= 0.7.</summary>
    public static double GaussianRadius(double height, double width, double minOverlap = 0.7)
    {
        var b1 = height + width;
        var c1 = width * height * (1 - minOverlap) / (1 + minOverlap);
        var r1 = (b1 + Math.Sqrt(b1 * b1 - 4 * c1)) / 2;
        var b2 = 2 * (height + width);
        var c2 = (1 - minOverlap) * width * height;
        var r2 = (b2 + Math.Sqrt(b2 * b2 - 16 * c2)) / 2;
        var a3 = 4 * minOverlap;
        var b3 = -2 * minOverlap * (height + width);
        var c3 = (minOverlap - 1) * width * height;
        var r3 = (b3 + Math.Sqrt(b3 * b3 - 4 * a3 * c3)) / 2;
        return Math.Min(r1, Math.Min(r2, r3));
    }

    private static void DrawGaussian(Span<float> heat, int side, int cx, int cy, int radius)
    {
        var sigma = (2 * radius + 1) / 6.0;
        for (var y = Math.Max(0, cy - radius); y <= Math.Min(side - 1, cy + radius); y++)
        {
            for (var x = Math.Max(0, cx - radius); x <= Math.Min(side - 1, cx + radius); x++)
        {
            var d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            var v = (float)Math.Exp(-d2 / (2 * sigma * sigma));
            ref var cell = ref heat[y * side + x];
            if (v > cell)
                {
                    cell = v;
                }
            }
        }
    }
}
