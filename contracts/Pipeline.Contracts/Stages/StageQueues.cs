namespace Pipeline.Contracts;

/// <summary>
/// One queue per stage command, and the saga's own. Commands are sent, so the sender and the consumer must agree on
/// the queue's name: both take it from here.
/// </summary>
public static class StageQueues
{
    public const string DownloadTrainingData = "download-training-data";
    public const string DownloadBaseModel = "download-base-model";
    public const string TrainModel = "train-model";
    public const string UploadModel = "upload-model";
    public const string DetectImages = "detect-images";
    public const string UploadDetections = "upload-detections";

    /// <summary>The Uploader's queue for a user's <see cref="PromoteModel"/> (not a stage: no training waits on it).</summary>
    public const string PromoteModel = "promote-model";

    /// <summary>The saga's own queue, where the user's commands and every stage's events arrive.</summary>
    public const string Training = "training-state";

    public static readonly IReadOnlyList<string> All =
        [DownloadTrainingData, DownloadBaseModel, TrainModel, UploadModel, DetectImages, UploadDetections, PromoteModel, Training];
}
