namespace Pipeline.Artifacts;

/// <summary>
/// Where each stage puts its files. A training's scratch lives under <c>trainings/{id}/</c> and is dropped
/// when the training completes; what outlives it (the registry, exports) lives elsewhere.
/// </summary>
public static class ArtifactKeys
{
    public static string Training(Guid trainingId) => $"trainings/{trainingId:N}";

    /// <summary>
    /// Marks a training whose scratch is dropped (Completed, Cancelled, or Failed past its retention), written by each
    /// worker's cleanup before it drops its part: a copy of one of its stage commands that arrives later (the outbox
    /// delivers at least once) is then acknowledged without running. An empty file per training, outside its scratch.
    /// </summary>
    public static string Ended(Guid trainingId) => $"ended/{trainingId:N}";

    // What an attempt writes carries the attempt, so a stale or duplicate copy never overwrites a live attempt's files.
    // An attempt's folder is written once: staged beside it and renamed into place whole with its outcome (WriteOnceFolders),
    // so a second delivery of the attempt finds the first one's complete output and answers with it.

    /// <summary>A private folder beside <paramref name="folderKey"/> to write into and then rename into place whole.</summary>
    public static string Staging(string folderKey) => $"{folderKey}.staging-{Guid.NewGuid():N}";

    /// <summary>What the attempt that wrote the folder answered: the last file in, so a folder with it is complete.</summary>
    public static string Outcome(string folderKey) => $"{folderKey}/outcome.json";

    /// <summary>Every attempt's dataset of the training (dropped whole at cleanup).</summary>
    public static string Datasets(Guid trainingId) => $"{Training(trainingId)}/dataset";

    public static string Dataset(Guid trainingId, int attempt) => $"{Datasets(trainingId)}/attempt-{attempt}";

    public static string DatasetManifest(Guid trainingId, int attempt) => DatasetManifestIn(Dataset(trainingId, attempt));

    public static string DetectionList(Guid trainingId, int attempt) => DetectionListIn(Dataset(trainingId, attempt));

    /// <summary>The manifest in a dataset folder (the attempt's, or its staging folder while it is written).</summary>
    public static string DatasetManifestIn(string datasetFolder) => $"{datasetFolder}/manifest.json";

    public static string DetectionListIn(string datasetFolder) => $"{datasetFolder}/detection-images.json";

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
