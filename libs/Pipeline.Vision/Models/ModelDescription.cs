using Pipeline.Vision.Data;
using Pipeline.Vision.Evaluation;

namespace Pipeline.Vision.Models;

/// <summary>model.json: what a weights file is, how it was trained, how well it did, and the sha256 of every file.</summary>
public sealed record ModelDescription
{
    public int FormatVersion { get; init; } = 1;
    public required string Architecture { get; init; }
    public required int Width { get; init; }
    public required int Resolution { get; init; }
    public required IReadOnlyList<ManifestCategory> Categories { get; init; }
    public Hyperparameters? Hyperparameters { get; init; }
    public ModelMetrics? Metrics { get; init; }
    /// <summary>File name (relative to model.json) to lower-case hex sha256.</summary>
    public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();
}

public sealed record ModelMetrics
{
    public required int Iteration { get; init; }
    public double? Loss { get; init; }
    public double? MeanAveragePrecision { get; init; }
    public IReadOnlyList<CategoryMetrics> Categories { get; init; } = [];

    public static ModelMetrics From(EvaluationResult result, int iteration, double? loss) => new()
    {
        Iteration = iteration, Loss = loss, MeanAveragePrecision = result.MeanAveragePrecision, Categories = result.Categories,
    };
}

/// <summary>A file did not hash to what model.json (or a checkpoint) says.</summary>
public sealed class ChecksumMismatchException(string file, string expected, string actual)
    : IOException($"Checksum mismatch for {file}: model.json says sha256 {expected}, the file hashes to {actual}")
{
    public string File { get; } = file;
    public string Expected { get; } = expected;
    public string Actual { get; } = actual;
}
