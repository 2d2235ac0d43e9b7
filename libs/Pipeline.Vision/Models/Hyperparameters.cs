namespace Pipeline.Vision.Models;

/// <summary>The contracts' <see cref="Hyperparameters"/>, checked: <see cref="Validate"/> throws an ArgumentException naming the bad value.</summary>
public static class HyperparameterRules
{
    public static Hyperparameters Validate(this Hyperparameters hyperparameters)
    {
        Check(hyperparameters.Iterations is >= 1 and <= 10_000_000, nameof(Hyperparameters.Iterations), "between 1 and 10,000,000", hyperparameters.Iterations);
        Check(hyperparameters.BatchSize is >= 1 and <= 1024, nameof(Hyperparameters.BatchSize), "between 1 and 1024", hyperparameters.BatchSize);
        Check(hyperparameters.LearningRate > 0 && hyperparameters.LearningRate <= 1 && double.IsFinite(hyperparameters.LearningRate),
            nameof(Hyperparameters.LearningRate), "in (0, 1]", hyperparameters.LearningRate);
        Check(hyperparameters.Resolution is >= 32 and <= 2048 && hyperparameters.Resolution % 16 == 0,
            nameof(Hyperparameters.Resolution), "a multiple of 16 between 32 and 2048", hyperparameters.Resolution);
        return hyperparameters;
    }

    internal static void Check(bool ok, string name, string expected, object value)
    {
        if (!ok) throw new ArgumentException($"Hyperparameter {name} must be {expected}, was {value}", name);
    }
}

/// <summary>
/// How this library trains, beyond the learning loop's hyperparameters: a service's deployment choices
/// (a GPU can afford a wider network), not a user's per training.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>"adam" or "sgd" (momentum 0.9).</summary>
    public string Optimizer { get; init; } = "adam";
    /// <summary>Channel width of the backbone's first stage; a GPU can afford 32 or 64.</summary>
    public int ModelWidth { get; init; } = 16;
    public int Seed { get; init; } = 1;

    public TrainingOptions Validate()
    {
        HyperparameterRules.Check(Optimizer is "adam" or "sgd", nameof(Optimizer), "'adam' or 'sgd'", Optimizer);
        HyperparameterRules.Check(ModelWidth is >= 4 and <= 256, nameof(ModelWidth), "between 4 and 256", ModelWidth);
        return this;
    }
}
