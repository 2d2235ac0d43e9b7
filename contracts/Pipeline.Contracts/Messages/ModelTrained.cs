namespace Pipeline.Contracts;

public sealed record ModelTrained
{
    public required Guid TrainingId { get; init; }
    public required int Attempt { get; init; }

    /// <summary>Artifact key of the folder holding the weights and model.json.</summary>
    public required string ModelKey { get; init; }

    /// <summary>The metrics of the model handed over: the best evaluation of the training, whose iteration they name.</summary>
    public required TrainingMetrics Metrics { get; init; }

    /// <summary>Where a StopTraining ended the training early; null when it ran all its iterations.</summary>
    public int? StoppedAtIteration { get; init; }

    /// <summary>The project's current model, evaluated on this training's test split; null when the project had none.</summary>
    public CurrentModelEvaluation? CurrentModel { get; init; }
}
