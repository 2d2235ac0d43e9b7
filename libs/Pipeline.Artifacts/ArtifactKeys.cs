namespace Pipeline.Artifacts;

/// <summary>
/// Where each stage puts its files. A training's scratch lives under <c>trainings/{id}/</c> and is dropped
/// when the training completes; what outlives it (the registry, exports) lives elsewhere.
/// </summary>
public static class ArtifactKeys
{
    public static string Training(Guid trainingId) => $"trainings/{trainingId:N}";

    // What an attempt writes carries the attempt, so a stale or duplicate copy never overwrites a live attempt's files.

    /// <summary>Every attempt's dataset of the training (dropped whole at cleanup).</summary>
    public static string Datasets(Guid trainingId) => $"{Training(trainingId)}/dataset";

    public static string Dataset(Guid trainingId, int attempt) => $"{Datasets(trainingId)}/attempt-{attempt}";

    public static string DatasetManifest(Guid trainingId, int attempt) => $"{Dataset(trainingId, attempt)}/manifest.json";

    public static string DetectionList(Guid trainingId, int attempt) => $"{Dataset(trainingId, attempt)}/detection-images.json";

    public static string BaseModels(Guid trainingId) => $"{Training(trainingId)}/base-model";

    public static string BaseModel(Guid trainingId, int attempt) => $"{BaseModels(trainingId)}/attempt-{attempt}";

    public static string Checkpoints(Guid trainingId) => $"{Training(trainingId)}/checkpoints";

    /// <summary>The weights of the training's best evaluation so far, kept beside the checkpoints (a model folder).</summary>
    public static string BestModel(Guid trainingId) => $"{Checkpoints(trainingId)}/best-model";

    /// <summary>Every trained model of the training, one folder per attempt (dropped whole at cleanup).</summary>
    public static string TrainedModels(Guid trainingId) => $"{Training(trainingId)}/model";

    public static string TrainedModel(Guid trainingId, int attempt) => $"{TrainedModels(trainingId)}/attempt-{attempt}";

    public static string Detections(Guid trainingId) => $"{Training(trainingId)}/detections";

    public static string DetectionBatch(Guid trainingId, int attempt, int batchIndex) => $"{Detections(trainingId)}/attempt-{attempt}/batch-{batchIndex:D5}.json";

    public static string RegisteredModel(Guid modelId) => $"models/{modelId:N}";

    public static string Export(Guid trainingId) => $"exports/{trainingId:N}";

    /// <summary>The detections at or above the Uploader's MinConfidence, as COCO results.</summary>
    public static string DetectionExport(Guid trainingId) => $"{Export(trainingId)}/detections.coco.json";

    /// <summary>Every detection down to the evaluation's own threshold, as COCO results: the exported mAP is this file's.</summary>
    public static string FullDetectionExport(Guid trainingId) => $"{Export(trainingId)}/detections.all.coco.json";

    /// <summary>The ground truth of the images the training was evaluated on (its test split), as COCO JSON with the exports' ids.</summary>
    public static string GroundTruthExport(Guid trainingId) => $"{Export(trainingId)}/ground-truth.coco.json";

    /// <summary>A few evaluated images, copied with their ground truth and detections (a DetectionSamples in samples.json), for the training page.</summary>
    public static string Samples(Guid trainingId) => $"{Export(trainingId)}/samples";

    public static string SamplesIndex(Guid trainingId) => $"{Samples(trainingId)}/samples.json";

    public static string SampleImage(Guid trainingId, string file) => $"{Samples(trainingId)}/{file}";

    /// <summary>
    /// A project's inbox: images a detector node in the field found uncertain, one folder per image
    /// (<c>{itemId:N}/image.&lt;ext&gt;</c> plus <c>detections.json</c>, an <c>ImageDetections</c> written last, so an item is
    /// complete once that file exists), for a later training to include.
    /// </summary>
    public static string Inbox(string organization, string project) => $"inbox/{organization}/{project}";

    public static string InboxItem(string organization, string project, Guid itemId) => $"{Inbox(organization, project)}/{itemId:N}";
}
