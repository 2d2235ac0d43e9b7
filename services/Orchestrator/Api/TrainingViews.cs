using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Api;

/// <summary>The saga's state as the status API shows it (the records live in the contracts, read back by the tool).</summary>
public static class TrainingViews
{
    public static TrainingSummary ToSummary(this TrainingState training) =>
        new(training.CorrelationId, training.Organization, training.Project, training.CurrentState, training.Attempt, training.UpdatedAt);

    public static TrainingDetails ToDetails(this TrainingState training) => new()
    {
        Id = training.CorrelationId,
        Organization = training.Organization,
        Project = training.Project,
        TrainingNumber = training.TrainingNumber,
        State = training.CurrentState,
        Attempt = training.Attempt,
        FailedStage = training.FailedStage,
        Errors = training.Errors,
        StageDeadline = training.StageDeadline,
        Dataset = new DatasetStatus(training.DatasetUri, training.DatasetKey, training.Categories,
            training.TrainImageCount, training.TestImageCount, training.DetectionImageCount, training.SkippedImageCount,
            training.HeldOutImageCount, training.TestDatasetUri, training.InboxImageCount, training.InboxSkippedCount),
        Hyperparameters = training.Hyperparameters,
        Training = new TrainingRunStatus(training.BaseModelId, training.Progress, training.BestMetrics, training.TrainedModelKey,
            training.StopRequestedForAttempt == training.Attempt, training.StoppedAtIteration),
        Model = new ModelStatus(training.ModelId, training.ModelVersion, training.RegisteredModelKey),
        Detection = new DetectionStatus(training.DetectOn, training.BatchCount, training.DetectedBatches.Count,
            training.DetectionCount, training.ExportKey)
        {
            FullExportKey = training.FullExportKey, GroundTruthKey = training.GroundTruthKey,
            ExportedMeanAveragePrecision = training.ExportedMeanAveragePrecision,
        },
        History = training.History,
        CreatedAt = training.CreatedAt,
        UpdatedAt = training.UpdatedAt,
    };
}
