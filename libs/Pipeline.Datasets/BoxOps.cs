namespace Pipeline.Datasets;

public static class BoxOps
{
    /// <summary>Intersection over union; 0 when either box is empty.</summary>
    public static float IoU(Box a, Box b)
    {
        var w = Math.Min(a.Right, b.Right) - Math.Max(a.X, b.X);
        var h = Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Y, b.Y);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        var intersection = w * h;
        var union = a.Area + b.Area - intersection;
        return union <= 0 ? 0 : intersection / union;
    }

    /// <summary>
    /// Greedy non-maximum suppression within each category: keeps the most confident box and drops every box
    /// of the same category that overlaps a kept one by more than <paramref name="iouThreshold"/>.
    /// Detections without a box pass through. Result ordered by descending confidence.
    /// </summary>
    public static IReadOnlyList<Detection> Nms(IEnumerable<Detection> detections, float iouThreshold = 0.5f)
    {
        var kept = new List<Detection>();
        foreach (var d in detections.OrderByDescending(d => d.Confidence))
        {
            if (d.Box is { } box && kept.Any(k => k.CategoryId == d.CategoryId && k.Box is { } other && IoU(box, other) > iouThreshold))
            {
                continue;
            }

            kept.Add(d);
        }
        return kept;
    }
}
