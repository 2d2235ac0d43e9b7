namespace Pipeline.Contracts;

/// <summary>
/// The project's current model when the training started, evaluated by the Trainer on the new training's test split (the
/// split the new model's metrics come from): the figure the Uploader compares the new model with before promoting it.
/// </summary>
public sealed record CurrentModelEvaluation
{
    public required Guid ModelId { get; init; }
    public required int Version { get; init; }

    /// <summary>mAP@0.5 on the new training's test split; null when it could not be evaluated there (see <see cref="NotComparable"/>).</summary>
    public double? MeanAveragePrecision { get; init; }

    /// <summary>Why the current model could not be evaluated on this split (other categories, a model that does not load).</summary>
    public string? NotComparable { get; init; }
}
