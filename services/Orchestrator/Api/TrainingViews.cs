using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Api;

public sealed record TrainingSummary(
    Guid Id, string Organization, string Project, string State, int Attempt, DateTimeOffset Updated);

public sealed record TrainingDetails
{
    public required Guid Id { get; init; }
    public required string Organization { get; init; }
    public required string Project { get; init; }
    public int TrainingNumber { get; init; }
    public required string State { get; init; }
    public int Attempt { get; init; }
    public string? FailedStage { get; init; }
    public required IReadOnlyDictionary<string, string> Errors { get; init; }
    public DateTimeOffset? StageDeadline { get; init; }
    public required DatasetView Dataset { get; init; }
    public required TrainingView Training { get; init; }
    public required ModelView Model { get; init; }
    public required DetectionView Detection { get; init; }
    public required IReadOnlyList<StateTransition> History { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public static TrainingDetails From(TrainingState training) => new()
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
        Dataset = new DatasetView(training.DatasetUri, training.DatasetKey, training.Categories,
            training.TrainImageCount, training.TestImageCount, training.DetectionImageCount, training.SkippedImageCount),
        Training = new TrainingView(training.BaseModelId, training.Progress, training.BestMetrics, training.TrainedModelKey),
        Model = new ModelView(training.ModelId, training.ModelVersion, training.RegisteredModelKey),
        Detection = new DetectionView(training.DetectOn, training.BatchCount, training.DetectedBatches.Count,
            training.DetectionCount, training.ExportKey),
        History = training.History,
        CreatedAt = training.CreatedAt,
        UpdatedAt = training.UpdatedAt,
    };
}

public sealed record DatasetView(
    string Uri, string? Key, IReadOnlyList<Category> Categories,
    int TrainImageCount, int TestImageCount, int DetectionImageCount, int SkippedImageCount);

/// <summary>The Trainer's last heartbeat and the best metrics so far (the confusion matrix the learning loop syncs).</summary>
public sealed record TrainingView(Guid? BaseModelId, TrainingProgress? Progress, TrainingMetrics? BestMetrics, string? TrainedModelKey);

public sealed record ModelView(Guid? ModelId, int? Version, string? ModelKey);

public sealed record DetectionView(DetectionScope DetectOn, int BatchCount, int BatchesDetected, int DetectionCount, string? ExportKey);
