using Pipeline.Datasets.Evaluation;
using Pipeline.Vision.Models;

namespace Pipeline.Vision.Evaluation;

public static class ModelEvaluator
{
    /// <summary>Runs the model over <paramref name="images"/> and scores it: mAP@0.5 and tp/fp/fn at <paramref name="confidenceThreshold"/>.</summary>
    public static EvaluationResult Evaluate(DetectorModel model, IReadOnlyList<DatasetImage> images, float confidenceThreshold = 0.5f, int batchSize = 32)
    {
        var detections = model.Detect(images, DetectionEvaluator.RankingConfidence, batchSize);
        var pairs = images.Zip(detections, (truth, found) => (truth, found.Detections)).ToList();
        return DetectionEvaluator.Evaluate(model.Categories, pairs, 0.5f, confidenceThreshold);
    }
}
