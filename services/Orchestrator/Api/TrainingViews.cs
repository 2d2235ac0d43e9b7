using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Api;

/// <summary>The saga's state as the status API shows it (the records live in the contracts, read back by the tool).</summary>
public static class TrainingViews
{
    public static TrainingSummary ToSummary(this TrainingState training) => new()
    {
        Id = training.CorrelationId, Organization = training.Organization, Project = training.Project, State = training.CurrentState,
        Attempt = training.Attempt, Updated = training.UpdatedAt,
    };

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
        Dataset = new DatasetStatus
        {
            Uri = training.DatasetUri, Key = training.DatasetKey, Categories = training.Categories,
            TrainImageCount = training.TrainImageCount, TestImageCount = training.TestImageCount,
            DetectionImageCount = training.DetectionImageCount, SkippedImageCount = training.SkippedImageCount,
            SkippedImagesByReason = training.SkippedImagesByReason,
            HeldOutImageCount = training.HeldOutImageCount, TestUri = training.TestDatasetUri,
            InboxImageCount = training.InboxImageCount, InboxSkippedCount = training.InboxSkippedCount,
        },
        Hyperparameters = training.Hyperparameters,
        Training = new TrainingRunStatus
        {
            BaseModelId = training.BaseModelId, Progress = training.Progress, BestMetrics = training.BestMetrics,
            TrainedModelKey = training.TrainedModelKey, StopRequested = training.StopRequestedForAttempt == training.Attempt,
            StoppedAtIteration = training.StoppedAtIteration,
        },
        Model = new ModelStatus { ModelId = training.ModelId, Version = training.ModelVersion, ModelKey = training.RegisteredModelKey },
        Detection = new DetectionStatus
        {
            DetectOn = training.DetectOn, BatchCount = training.BatchCount, BatchesDetected = training.DetectedBatches.Count,
            DetectionCount = training.DetectionCount, ExportKey = training.ExportKey,
            FullExportKey = training.FullExportKey, GroundTruthKey = training.GroundTruthKey,
            ExportedMeanAveragePrecision = training.ExportedMeanAveragePrecision,
        },
        History = training.History,
        CreatedAt = training.CreatedAt,
        UpdatedAt = training.UpdatedAt,
    };
}
