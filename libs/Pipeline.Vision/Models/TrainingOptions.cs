namespace Pipeline.Vision.Models;

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
