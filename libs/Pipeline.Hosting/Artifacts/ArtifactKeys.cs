namespace Pipeline.Hosting.Artifacts;

/// <summary>
/// Where each stage puts its files. A training's scratch lives under <c>trainings/{id}/</c> and is dropped
/// when the training completes; what outlives it (the registry, exports) lives elsewhere.
/// </summary>
public static class ArtifactKeys
{
    public const string ModelDescriptionFile = "model.json";

    public static string Training(Guid trainingId) => $"trainings/{trainingId:N}";

    public static string Dataset(Guid trainingId) => $"{Training(trainingId)}/dataset";

    public static string DatasetManifest(Guid trainingId) => $"{Dataset(trainingId)}/manifest.json";

    public static string DetectionList(Guid trainingId) => $"{Training(trainingId)}/detection-images.json";

    public static string BaseModel(Guid trainingId) => $"{Training(trainingId)}/base-model";

    public static string Checkpoints(Guid trainingId) => $"{Training(trainingId)}/checkpoints";

    public static string TrainedModel(Guid trainingId) => $"{Training(trainingId)}/model";

    public static string Detections(Guid trainingId) => $"{Training(trainingId)}/detections";

    public static string DetectionBatch(Guid trainingId, int batchIndex) => $"{Detections(trainingId)}/batch-{batchIndex:D5}.json";

    public static string RegisteredModel(Guid modelId) => $"models/{modelId:N}";

    public static string DetectionExport(Guid trainingId) => $"exports/{trainingId:N}/detections.coco.json";
}
