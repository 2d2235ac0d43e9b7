namespace Pipeline.Contracts;

/// <summary>
/// Every stage with a worker, declared once. The Orchestrator's dispatcher, deadlines and settings, the queues'
/// send conventions and the command line's stage list are read from here.
/// </summary>
public static class TrainingStages
{
    public static readonly TrainingStage DataDownloading = new()
    {
        Name = "download data", Running = TrainingStates.DataDownloading, Done = TrainingStates.DataDownloaded,
        Command = typeof(DownloadTrainingData), Queue = StageQueues.DownloadTrainingData,
        QueueTimeout = TimeSpan.FromHours(6), Timeout = TimeSpan.FromMinutes(10),
    };

    public static readonly TrainingStage TrainModelDownloading = new()
    {
        Name = "download base model", Running = TrainingStates.TrainModelDownloading, Done = TrainingStates.TrainModelDownloaded,
        Command = typeof(DownloadBaseModel), Queue = StageQueues.DownloadBaseModel,
        QueueTimeout = TimeSpan.FromHours(6), Timeout = TimeSpan.FromMinutes(5),
    };

    public static readonly TrainingStage TrainingRunning = new()
    {
        Name = "train", Running = TrainingStates.TrainingRunning, Done = TrainingStates.TrainingFinished,
        Command = typeof(TrainModel), Queue = StageQueues.TrainModel,
        QueueTimeout = null, Timeout = TimeSpan.FromMinutes(15),
    };

    public static readonly TrainingStage TrainModelUploading = new()
    {
        Name = "upload model", Running = TrainingStates.TrainModelUploading, Done = TrainingStates.TrainModelUploaded,
        Command = typeof(UploadModel), Queue = StageQueues.UploadModel,
        QueueTimeout = TimeSpan.FromHours(6), Timeout = TimeSpan.FromMinutes(5),
    };

    public static readonly TrainingStage Detecting = new()
    {
        Name = "detect", Running = TrainingStates.Detecting, Done = TrainingStates.Detected,
        Command = typeof(DetectImages), Queue = StageQueues.DetectImages,
        QueueTimeout = TimeSpan.FromHours(6), Timeout = TimeSpan.FromMinutes(5),
    };

    public static readonly TrainingStage DetectionUploading = new()
    {
        Name = "upload detections", Running = TrainingStates.DetectionUploading, Done = TrainingStates.ReadyForCleanup,
        Command = typeof(UploadDetections), Queue = StageQueues.UploadDetections,
        QueueTimeout = TimeSpan.FromHours(6), Timeout = TimeSpan.FromMinutes(5),
    };

    /// <summary>In the order a training passes them.</summary>
    public static readonly IReadOnlyList<TrainingStage> All =
        [DataDownloading, TrainModelDownloading, TrainingRunning, TrainModelUploading, Detecting, DetectionUploading];

    public static TrainingStage? Find(string runningState) => All.FirstOrDefault(stage => stage.Running == runningState);
}
