namespace Pipeline.Contracts;

/// <summary>The Trainer's last heartbeat and the best metrics so far (the confusion matrix the learning loop syncs).</summary>
public sealed record TrainingRunStatus(
    Guid? BaseModelId, TrainingProgress? Progress, TrainingMetrics? BestMetrics, string? TrainedModelKey,
    bool StopRequested = false, int? StoppedAtIteration = null);
