namespace Pipeline.Contracts;

/// <summary>
/// The values a training can run with, declared once: <c>POST /trainings</c> and the saga refuse a BeginTraining outside
/// them before anything is downloaded, and the Trainer checks them again before it builds a model.
/// </summary>
public static class HyperparameterRanges
{
    /// <param name="Name">The property, as C# names it (<c>Iterations</c>).</param>
    /// <param name="Expected">The range in words, for the message.</param>
    public sealed record Range(string Name, string Expected, Func<Hyperparameters, object> Value, Func<Hyperparameters, bool> Holds)
    {
        /// <summary>The field as a client writes it in a BeginTraining: <c>hyperparameters.iterations</c>.</summary>
        public string Field => $"hyperparameters.{char.ToLowerInvariant(Name[0])}{Name[1..]}";
    }

    public static readonly IReadOnlyList<Range> All =
    [
        new(nameof(Hyperparameters.Iterations), "between 1 and 10,000,000", h => h.Iterations, h => h.Iterations is >= 1 and <= 10_000_000),
        new(nameof(Hyperparameters.BatchSize), "between 1 and 1024", h => h.BatchSize, h => h.BatchSize is >= 1 and <= 1024),
        new(nameof(Hyperparameters.LearningRate), "in (0, 1]", h => h.LearningRate,
            h => h.LearningRate > 0 && h.LearningRate <= 1 && double.IsFinite(h.LearningRate)),
        new(nameof(Hyperparameters.Resolution), "a multiple of 16 between 32 and 2048", h => h.Resolution,
            h => h.Resolution is >= 32 and <= 2048 && h.Resolution % 16 == 0),
    ];

    /// <summary>The first range the hyperparameters are outside of; null when they are within all.</summary>
    public static Range? FirstBroken(Hyperparameters hyperparameters) => All.FirstOrDefault(range => !range.Holds(hyperparameters));
}
