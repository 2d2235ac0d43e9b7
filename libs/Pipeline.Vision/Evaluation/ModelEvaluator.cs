using Pipeline.Vision.Data;
using Pipeline.Vision.Models;

namespace Pipeline.Vision.Evaluation;

public static class ModelEvaluator
{
    /// <summary>Low enough that AP sees the whole precision/recall curve.</summary>
    public const float RankingConfidence = 0.01f;

    /// <summary>Runs the model over <paramref name="images"/> and scores it: mAP@0.5 and tp/fp/fn at <paramref name="confidenceThreshold"/>.</summary>
    public static EvaluationResult Evaluate(DetectorModel model, IReadOnlyList<DatasetImage> images, float confidenceThreshold = 0.5f, int batchSize = 32)
    {
        var detections = model.Detect(images, RankingConfidence, batchSize);
        var pairs = images.Zip(detections, (truth, found) => (truth, found.Detections)).ToList();
        return DetectionEvaluator.Evaluate(model.Categories, pairs, 0.5f, confidenceThreshold);
    }
}
