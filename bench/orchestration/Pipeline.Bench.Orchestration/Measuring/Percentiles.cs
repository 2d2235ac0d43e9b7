namespace Pipeline.Bench.Orchestration.Measuring;

/// <summary>Latencies in milliseconds, summarized.</summary>
public sealed class Percentiles(IEnumerable<double> milliseconds)
{
    private readonly double[] sorted = milliseconds.Order().ToArray();

    public int Count => sorted.Length;
    public double P50 => At(0.50);
    public double P95 => At(0.95);
    public double P99 => At(0.99);
    public double Max => sorted.Length == 0 ? double.NaN : sorted[^1];
    public double Mean => sorted.Length == 0 ? double.NaN : sorted.Average();

    // Linear interpolation between the closest ranks.
    public double At(double quantile)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = quantile * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + ((rank - low) * (sorted[high] - sorted[low]));
    }
}
