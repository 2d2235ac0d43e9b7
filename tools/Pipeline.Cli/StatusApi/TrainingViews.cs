using Pipeline.Contracts;

namespace Pipeline.Cli.StatusApi;

// The Orchestrator's JSON (services/Orchestrator/Api/TrainingViews.cs), read back. Only what the tool shows.

public sealed record TrainingSummaryView(Guid Id, string Organization, string Project, string State, int Attempt, DateTimeOffset Updated);

public sealed record TrainingDetailsView
{
    public Guid Id { get; init; }
    public string Organization { get; init; } = "";
    public string Project { get; init; } = "";
    public int TrainingNumber { get; init; }
    public string State { get; init; } = "";
    public int Attempt { get; init; }
    public string? FailedStage { get; init; }
    public Dictionary<string, string> Errors { get; init; } = [];
    public DatasetView Dataset { get; init; } = new();
    public TrainingRunView Training { get; init; } = new();
    public ModelView Model { get; init; } = new();
    public DetectionView Detection { get; init; } = new();
    public List<TransitionView> History { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public bool IsFinished => State is TrainingStates.Completed or TrainingStates.Failed or TrainingStates.Cancelled;
}

public sealed record DatasetView
{
    public string Uri { get; init; } = "";
    public string? Key { get; init; }
    public List<Category> Categories { get; init; } = [];
    public int TrainImageCount { get; init; }
    public int TestImageCount { get; init; }
    public int DetectionImageCount { get; init; }
    public int SkippedImageCount { get; init; }
}

public sealed record TrainingRunView
{
    public Guid? BaseModelId { get; init; }
    public ProgressView? Progress { get; init; }
    public TrainingMetrics? BestMetrics { get; init; }
    public string? TrainedModelKey { get; init; }
}

public sealed record ProgressView
{
    public int Iteration { get; init; }
    public int TotalIterations { get; init; }
    public double Loss { get; init; }
    public double ImagesPerSecond { get; init; }
    public TimeSpan? EstimatedTimeLeft { get; init; }
    public DateTimeOffset At { get; init; }
}

public sealed record ModelView
{
    public Guid? ModelId { get; init; }
    public int? Version { get; init; }
    public string? ModelKey { get; init; }
}

public sealed record DetectionView
{
    public DetectionScope DetectOn { get; init; }
    public int BatchCount { get; init; }
    public int BatchesDetected { get; init; }
    public int DetectionCount { get; init; }
    public string? ExportKey { get; init; }
}

public sealed record TransitionView
{
    public string From { get; init; } = "";
    public string To { get; init; } = "";
    public DateTimeOffset At { get; init; }
    public int Attempt { get; init; }
    public string? Error { get; init; }
}

/// <summary>The saga's state names that the tool acts on.</summary>
public static class TrainingStates
{
    public const string Completed = nameof(Completed);
    public const string Failed = nameof(Failed);
    public const string Cancelled = nameof(Cancelled);

    public static readonly IReadOnlyList<string> All =
    [
        "Initialized", "DataDownloading", "DataDownloaded", "TrainModelDownloading", "TrainModelDownloaded",
        "TrainingRunning", "TrainingFinished", "ConfusionMatrixSyncing", "ConfusionMatrixSynced",
        "TrainModelUploading", "TrainModelUploaded", "Detecting", "Detected", "DetectionUploading",
        "ReadyForCleanup", Completed, Failed, Cancelled,
    ];
}
