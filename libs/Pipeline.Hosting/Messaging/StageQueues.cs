using MassTransit;
using Pipeline.Contracts;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// One queue per stage command. Commands are sent, so the sender and the consumer must agree on the
/// queue's name: both take it from here.
/// </summary>
public static class StageQueues
{
    public const string DownloadTrainingData = "download-training-data";
    public const string DownloadBaseModel = "download-base-model";
    public const string TrainModel = "train-model";
    public const string UploadModel = "upload-model";
    public const string DetectImages = "detect-images";
    public const string UploadDetections = "upload-detections";

    /// <summary>The saga's own queue, where the user's commands and every stage's events arrive.</summary>
    public const string Training = "training-state";

    public static readonly IReadOnlyList<string> All =
        [DownloadTrainingData, DownloadBaseModel, TrainModel, UploadModel, DetectImages, UploadDetections, Training];

    private static int mapped;

    /// <summary>Lets <c>Send</c> find each command's queue; idempotent, since every host calls it.</summary>
    public static void MapSendConventions()
    {
        if (Interlocked.Exchange(ref mapped, 1) == 1)
        {
            return;
        }

        EndpointConvention.Map<DownloadTrainingData>(Address(DownloadTrainingData));
        EndpointConvention.Map<DownloadBaseModel>(Address(DownloadBaseModel));
        EndpointConvention.Map<TrainModel>(Address(TrainModel));
        EndpointConvention.Map<UploadModel>(Address(UploadModel));
        EndpointConvention.Map<Contracts.DetectImages>(Address(DetectImages));
        EndpointConvention.Map<UploadDetections>(Address(UploadDetections));
        EndpointConvention.Map<BeginTraining>(Address(Training));
        EndpointConvention.Map<CancelTraining>(Address(Training));
        EndpointConvention.Map<RetryTraining>(Address(Training));
        EndpointConvention.Map<StageTimedOut>(Address(Training));
    }

    public static Uri Address(string queue) => new($"queue:{queue}");
}
