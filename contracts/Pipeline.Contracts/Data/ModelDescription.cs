namespace Pipeline.Contracts;

/// <summary>The content of <c>model.json</c>, written beside the weights.</summary>
public sealed record ModelDescription
{
    /// <summary>The file's name in every model folder.</summary>
    public const string FileName = "model.json";

    public required string Architecture { get; init; }
    public required int Resolution { get; init; }
    public required IReadOnlyList<Category> Categories { get; init; }
    public required Hyperparameters Hyperparameters { get; init; }
    public TrainingMetrics? Metrics { get; init; }

    /// <summary>sha256 of every file of the model except model.json itself.</summary>
    public IReadOnlyList<ModelFile> Files { get; init; } = [];
}
