namespace Pipeline.Vision.Models;

/// <summary>
/// The contracts' <see cref="Hyperparameters"/>, checked against <see cref="HyperparameterRanges"/> (the one declaration the
/// status API and the saga check too): <see cref="Validate"/> throws an ArgumentException naming the bad value.
/// </summary>
public static class HyperparameterRules
{
    public static Hyperparameters Validate(this Hyperparameters hyperparameters)
    {
        if (HyperparameterRanges.FirstBroken(hyperparameters) is { } broken)
        {
            Check(false, broken.Name, broken.Expected, broken.Value(hyperparameters));
        }

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
