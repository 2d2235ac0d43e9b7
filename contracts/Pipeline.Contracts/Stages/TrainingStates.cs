namespace Pipeline.Contracts;

/// <summary>The saga's state names (the learning loop's), shared by the Orchestrator, the status API and the command line.</summary>
public static class TrainingStates
{
    public const string Initialized = nameof(Initialized);
    public const string DataDownloading = nameof(DataDownloading);
    public const string DataDownloaded = nameof(DataDownloaded);
    public const string TrainModelDownloading = nameof(TrainModelDownloading);
    public const string TrainModelDownloaded = nameof(TrainModelDownloaded);
    public const string TrainingRunning = nameof(TrainingRunning);
    public const string TrainingFinished = nameof(TrainingFinished);
    public const string ConfusionMatrixSyncing = nameof(ConfusionMatrixSyncing);
    public const string ConfusionMatrixSynced = nameof(ConfusionMatrixSynced);
    public const string TrainModelUploading = nameof(TrainModelUploading);
    public const string TrainModelUploaded = nameof(TrainModelUploaded);
    public const string Detecting = nameof(Detecting);
    public const string Detected = nameof(Detected);
    public const string DetectionUploading = nameof(DetectionUploading);
    public const string ReadyForCleanup = nameof(ReadyForCleanup);
    public const string Completed = nameof(Completed);
    public const string Failed = nameof(Failed);
    public const string Cancelled = nameof(Cancelled);

    /// <summary>Every state, in the order a training passes them; Failed and Cancelled last.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        Initialized, DataDownloading, DataDownloaded, TrainModelDownloading, TrainModelDownloaded,
        TrainingRunning, TrainingFinished, ConfusionMatrixSyncing, ConfusionMatrixSynced,
        TrainModelUploading, TrainModelUploaded, Detecting, Detected, DetectionUploading,
        ReadyForCleanup, Completed, Failed, Cancelled,
    ];
}
