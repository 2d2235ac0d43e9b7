using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Datasets.Evaluation;

namespace Pipeline.Uploader.Detections;

/// <summary>
/// The mAP@0.5 of exactly what was exported: the full export as read back from its file, scored by the Trainer's own
/// evaluator against the images the Trainer evaluates on (the test split, or the train images where there is none).
/// Classifications are not in COCO results, so the score covers the box and point categories.
/// </summary>
public static class ExportEvaluation
{
    /// <summary>Null when the detections do not cover every image the evaluation scores (DetectOn left some out).</summary>
    public static double? MeanAveragePrecision(VisionDataset dataset, IReadOnlyList<CocoResult> exported, IReadOnlySet<string> detectedImageIds)
    {
        var evaluated = dataset.EvaluationImages;
        if (evaluated.Count == 0 || evaluated.Any(image => !detectedImageIds.Contains(image.Id)))
        {
            return null;
        }

        var categories = dataset.Categories.Where(c => c.Type != CategoryType.Classification).ToList();
        var byId = categories.ToDictionary(c => c.Id);
        var found = exported.Where(r => byId.ContainsKey(r.CategoryId)).ToLookup(r => r.ImageId);
        var pairs = evaluated.Select(image => (image, (IReadOnlyList<Detection>)found[image.Id].Select(r => ToDetection(r, byId[r.CategoryId])).ToList())).ToList();
        return DetectionEvaluator.Evaluate(categories, pairs, iouThreshold: 0.5f).MeanAveragePrecision;
    }

    private static Detection ToDetection(CocoResult result, Category category) => category.Type == CategoryType.Point
        ? new Detection(category.Id, category.Name, category.Type, (float)result.Score, Point: new Point2((float)result.X, (float)result.Y))
        : new Detection(category.Id, category.Name, category.Type, (float)result.Score,
            Box: new Box((float)result.X, (float)result.Y, (float)result.Width, (float)result.Height));
}
