namespace Pipeline.Contracts;

/// <summary>The status API's <c>GET /trainings/{id}</c>: everything the saga knows of one training.</summary>
public sealed record TrainingDetails
{
    public required Guid Id { get; init; }
    public required string Organization { get; init; }
    public required string Project { get; init; }
    public int TrainingNumber { get; init; }
    public required string State { get; init; }
    public int Attempt { get; init; }
    public string? FailedStage { get; init; }

    /// <summary>The last error of each stage, under the stage's name.</summary>
    public required IReadOnlyDictionary<string, string> Errors { get; init; }

    public DateTimeOffset? StageDeadline { get; init; }
    public required DatasetStatus Dataset { get; init; }

    /// <summary>What the training was begun with.</summary>
    public Hyperparameters? Hyperparameters { get; init; }
    public required TrainingRunStatus Training { get; init; }
    public required ModelStatus Model { get; init; }
    public required DetectionStatus Detection { get; init; }
    public required IReadOnlyList<StateTransition> History { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}
