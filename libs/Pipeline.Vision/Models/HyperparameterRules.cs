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
        if (!ok)
        {
            throw new ArgumentException($"Hyperparameter {name} must be {expected}, was {value}", name);
        }
    }
}
