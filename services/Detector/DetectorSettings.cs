using Pipeline.Datasets.Evaluation;

namespace Pipeline.Detector;

public sealed class DetectorSettings
{
    public const string Section = "Detector";

    /// <summary>auto (cuda when libtorch sees a GPU, else cpu), cpu or cuda.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>libtorch's intra-op threads; 0 leaves libtorch's default of one per core.</summary>
    public int Threads { get; set; }

    /// <summary>
    /// Detections below this confidence are not reported. The default is the evaluation's own threshold, so the full
    /// export reproduces the training's mAP; the Uploader's MinConfidence picks the detections shown.
    /// </summary>
    public float MinConfidence { get; set; } = DetectionEvaluator.RankingConfidence;

    /// <summary>Boxes of one category overlapping a more confident one by more than this IoU are dropped.</summary>
    public float NmsIou { get; set; } = 0.5f;

    /// <summary>Images per forward pass.</summary>
    public int InferenceBatchSize { get; set; } = 16;

    /// <summary>Models kept loaded, by model id: a training's batches all use one model, so a few suffice.</summary>
    public int CachedModels { get; set; } = 2;
}
