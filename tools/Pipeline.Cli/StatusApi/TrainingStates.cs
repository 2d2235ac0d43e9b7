using Pipeline.Contracts;

namespace Pipeline.Cli.StatusApi;

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

    public static bool IsFinished(this TrainingDetails training) => training.State is Completed or Failed or Cancelled;
}
