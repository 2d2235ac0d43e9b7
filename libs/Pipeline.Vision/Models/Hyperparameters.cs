namespace Pipeline.Vision.Models;

/// <summary>What a training is asked to do. <see cref="Validate"/> throws an ArgumentException naming the bad value.</summary>
public sealed record Hyperparameters
{
    public int Iterations { get; init; } = 1500;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>The square input size the images are resized to; a multiple of 16.</summary>
    public int Resolution { get; init; } = 128;
    /// <summary>Flip left-right with probability 1/2 when set.</summary>
    public bool FlipRl { get; init; } = true;
    /// <summary>Flip up-down with probability 1/2 when set.</summary>
    public bool FlipUd { get; init; }
    /// <summary>"adam" or "sgd" (momentum 0.9).</summary>
    public string Optimizer { get; init; } = "adam";
    /// <summary>Channel width of the backbone's first stage; a GPU can afford 32 or 64.</summary>
    public int ModelWidth { get; init; } = 16;
    public int Seed { get; init; } = 1;

    public Hyperparameters Validate()
    {
        Check(Iterations is >= 1 and <= 10_000_000, nameof(Iterations), "between 1 and 10,000,000", Iterations);
        Check(BatchSize is >= 1 and <= 1024, nameof(BatchSize), "between 1 and 1024", BatchSize);
        Check(LearningRate > 0 && LearningRate <= 1 && double.IsFinite(LearningRate), nameof(LearningRate), "in (0, 1]", LearningRate);
        Check(Resolution is >= 32 and <= 2048 && Resolution % 16 == 0, nameof(Resolution), "a multiple of 16 between 32 and 2048", Resolution);
        Check(Optimizer is "adam" or "sgd", nameof(Optimizer), "'adam' or 'sgd'", Optimizer);
        Check(ModelWidth is >= 4 and <= 256, nameof(ModelWidth), "between 4 and 256", ModelWidth);
        return this;
    }

    private static void Check(bool ok, string name, string expected, object value)
    {
        if (!ok) throw new ArgumentException($"Hyperparameter {name} must be {expected}, was {value}", name);
    }
}
