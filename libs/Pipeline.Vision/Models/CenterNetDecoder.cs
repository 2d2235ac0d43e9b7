using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Vision.Models;

/// <summary>Turns head outputs into detections: 3x3 peak picking, top-k, then NMS per category.</summary>
public static class CenterNetDecoder
{
    /// <param name="sizes">Per batch item, the original (width, height) to scale results back to.</param>
    public static List<List<Detection>> Decode(CenterNetOutput output, CategoryLayout layout, IReadOnlyList<(int Width, int Height)> sizes,
        int resolution, float minConfidence, int topK = 100, float nmsIou = 0.5f)
    {
        using var scope = NewDisposeScope();
        var heat = output.Heatmap.sigmoid();
        var (b, channels, h, w) = ((int)heat.shape[0], (int)heat.shape[1], (int)heat.shape[2], (int)heat.shape[3]);
        var peaks = nn.functional.max_pool2d(heat, 3, 1, 1);
        var kept = heat * peaks.eq(heat).to(heat.dtype);
        var k = Math.Min(topK, channels * h * w);
        var (scores, flatIndex) = kept.view(b, -1).topk(k);
        using var planeSize = ((long)h * w).ToScalar();
        var channel = flatIndex.div(planeSize, rounding_mode: RoundingMode.floor);
        var cell = flatIndex.remainder(planeSize);
        var gatherIndex = cell.unsqueeze(1).expand(b, 2, k);
        var size = output.Size.view(b, 2, -1).gather(2, gatherIndex);
        var offset = output.Offset.view(b, 2, -1).gather(2, gatherIndex);
        var classes = output.Classes.sigmoid();

        // Copied out through the tensors' bytes: data<T>().ToArray() walks element by element.
        var s = Copy<float>(scores);
        var ch = Copy<long>(channel);
        var ce = Copy<long>(cell);
        var sz = Copy<float>(size);
        var of = Copy<float>(offset);
        var cl = Copy<float>(classes);
        var classCount = (int)classes.shape[1];

        var results = new List<List<Detection>>(b);
        for (var i = 0; i < b; i++)
        {
            var (width, height) = sizes[i];
            float sx = (float)width / resolution, sy = (float)height / resolution;
            var detections = new List<Detection>();
            for (var j = 0; j < k; j++)
            {
                var score = s[i * k + j];
                if (score < minConfidence)
                {
                    break; // topk is sorted
                }

                var c = (int)ch[i * k + j];
                if (c >= layout.Spatial.Count)
                {
                    continue;
                }

                var category = layout.Spatial[c];
                var gx = ce[i * k + j] % w;
                var gy = ce[i * k + j] / w;
                var cx = (gx + of[(i * 2) * k + j]) * CenterNet.Stride;
                var cy = (gy + of[(i * 2 + 1) * k + j]) * CenterNet.Stride;
                if (category.Type == CategoryType.Point)
                {
                    detections.Add(new Detection(category.Id, category.Name, category.Type, score, Point: new Point2(cx * sx, cy * sy)));
                    continue;
                }
                var bw = Math.Max(0, sz[(i * 2) * k + j]) * CenterNet.Stride;
                var bh = Math.Max(0, sz[(i * 2 + 1) * k + j]) * CenterNet.Stride;
                var box = new Box(cx - bw / 2, cy - bh / 2, bw, bh).Scale(sx, sy);
                detections.Add(new Detection(category.Id, category.Name, category.Type, score, Box: box));
            }
            for (var c = 0; c < layout.Classification.Count; c++)
            {
                var confidence = cl[i * classCount + c];
                if (confidence < minConfidence)
                {
                    continue;
                }

                var category = layout.Classification[c];
                detections.Add(new Detection(category.Id, category.Name, category.Type, confidence));
            }
            results.Add(BoxOps.Nms(detections, nmsIou).ToList());
        }
        return results;
    }

    private static T[] Copy<T>(Tensor tensor) where T : unmanaged
    {
        using var contiguous = tensor.cpu().contiguous();
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(contiguous.bytes).ToArray();
    }
}
