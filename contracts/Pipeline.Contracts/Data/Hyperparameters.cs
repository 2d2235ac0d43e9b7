namespace Pipeline.Contracts;

/// <summary>The learning loop's hyperparameters; the defaults train the generated demo dataset well on a CPU.</summary>
public sealed record Hyperparameters
{
    public int Iterations { get; init; } = 1500;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 0.002;
    public int Resolution { get; init; } = 128;
    public bool FlipRl { get; init; } = true;
    public bool FlipUd { get; init; }
}
