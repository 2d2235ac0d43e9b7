namespace Pipeline.Contracts;

/// <summary>
/// Whether a registered model became its project's current one, and why: decided once, when it was registered (it beat
/// the current model on the new training's test split, both evaluated there, or it did not), or later by a user's
/// override (<see cref="PromoteModel"/>).
/// </summary>
public sealed record PromotionDecision
{
    public required bool Promoted { get; init; }

    /// <summary>In words a user reads: "mAP@0.5 0.951 beats version 3's 0.912 on this training's test split".</summary>
    public required string Reason { get; init; }

    /// <summary>The model that was current when the decision was made; null when the project had none.</summary>
    public Guid? ComparedWithModelId { get; init; }

    public int? ComparedWithVersion { get; init; }

    /// <summary>That model's mAP@0.5 on the new training's test split (the split this model's own metrics come from).</summary>
    public double? ComparedMeanAveragePrecision { get; init; }

    /// <summary>True when a user promoted it with <c>pipeline promote</c>, whatever the metrics.</summary>
    public bool Overridden { get; init; }

    public required DateTimeOffset DecidedAt { get; init; }
}
