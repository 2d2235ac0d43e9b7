namespace Pipeline.Datasets.Evaluation;

/// <summary>
/// mAP and, per category (the contracts' <see cref="CategoryMetrics"/>, the confusion matrix the learning loop syncs),
/// AP at the match threshold and tp/fp/fn among detections at or above the confidence threshold.
/// </summary>
public sealed record EvaluationResult(double MeanAveragePrecision, IReadOnlyList<CategoryMetrics> Categories, float IouThreshold, float ConfidenceThreshold)
{
    public int TruePositives => Categories.Sum(c => c.TruePositives);
    public int FalsePositives => Categories.Sum(c => c.FalsePositives);
    public int FalseNegatives => Categories.Sum(c => c.FalseNegatives);

    /// <summary>The pipeline's metrics of a training at <paramref name="iteration"/>.</summary>
    public TrainingMetrics ToTrainingMetrics(int iteration, double loss) => new()
    {
        Iteration = iteration, Loss = loss, MeanAveragePrecision = MeanAveragePrecision, Categories = Categories,
    };
}

/// <summary>
/// mAP@IoU (VOC all-points AP per category, averaged over the categories that have ground truth) and the
/// confusion counts. Boxes match by IoU; points match when within <c>PointRadius</c> (a fraction of the image's
/// longer side) of the truth; a classification matches when the image carries that label.
/// </summary>
public static class DetectionEvaluator
{
    public const float DefaultPointRadius = 0.05f;

    /// <summary>
    /// The evaluation's own confidence threshold: low enough that AP sees the whole precision/recall curve. Detections
    /// kept down to it (the full export) reproduce the evaluation's mAP.
    /// </summary>
    public const float RankingConfidence = 0.01f;

    public static EvaluationResult Evaluate(
        IReadOnlyList<Category> categories,
        IReadOnlyList<(DatasetImage Truth, IReadOnlyList<Detection> Detections)> images,
        float iouThreshold = 0.5f,
        float confidenceThreshold = 0.5f,
        float pointRadius = DefaultPointRadius)
    {
        var results = new List<(CategoryMetrics Metrics, int GroundTruth)>();
        foreach (var category in categories)
        {
            var groundTruth = 0;
            // (confidence, is true positive) over all images, for AP; tp/fp at the confidence threshold.
            var ranked = new List<(float Confidence, bool TruePositive)>();
            int tp = 0, fp = 0, fn = 0;
            foreach (var (truth, detections) in images)
            {
                var truths = truth.Annotations.Where(a => a.CategoryId == category.Id).ToList();
                groundTruth += truths.Count;
                var mine = detections.Where(d => d.CategoryId == category.Id).OrderByDescending(d => d.Confidence).ToList();
                var matchedAll = Match(category.Type, truth, truths, mine, iouThreshold, pointRadius);
                for (var i = 0; i < mine.Count; i++)
                {
                    ranked.Add((mine[i].Confidence, matchedAll[i]));
                }

                var confident = mine.Where(d => d.Confidence >= confidenceThreshold).ToList();
                var matchedConfident = Match(category.Type, truth, truths, confident, iouThreshold, pointRadius);
                var hits = matchedConfident.Count(m => m);
                tp += hits;
                fp += confident.Count - hits;
                fn += truths.Count - hits;
            }
            results.Add((new CategoryMetrics
            {
                CategoryId = category.Id, CategoryName = category.Name, TruePositives = tp, FalsePositives = fp, FalseNegatives = fn,
                AveragePrecision = AveragePrecision(ranked, groundTruth),
            }, groundTruth));
        }
        var withTruth = results.Where(r => r.GroundTruth > 0).ToList();
        var map = withTruth.Count == 0 ? 0 : withTruth.Average(r => r.Metrics.AveragePrecision);
        return new EvaluationResult(map, results.Select(r => r.Metrics).ToList(), iouThreshold, confidenceThreshold);
    }

    /// <summary>Greedy matching in confidence order (detections sorted descending): each truth matches at most once.</summary>
    private static bool[] Match(CategoryType type, DatasetImage image, List<Annotation> truths, List<Detection> detections, float iouThreshold, float pointRadius)
    {
        var matched = new bool[detections.Count];
        var used = new bool[truths.Count];
        var radius = pointRadius * Math.Max(image.Width, image.Height);
        for (var d = 0; d < detections.Count; d++)
        {
            var best = -1;
            var bestScore = 0f;
            for (var t = 0; t < truths.Count; t++)
            {
                if (used[t])
                {
                    continue;
                }

                var score = type switch
                {
                    CategoryType.Box when detections[d].Box is { } db && truths[t].Box is { } tb => BoxOps.IoU(db, tb),
                    CategoryType.Point when detections[d].Point is { } dp && truths[t].Point is { } tp => PointScore(dp, tp, radius),
                    CategoryType.Classification => 1f,
                    _ => 0f,
                };
                var enough = type == CategoryType.Box ? score >= iouThreshold : score > 0;
                if (enough && score > bestScore)
                {
                    best = t;
                    bestScore = score;
                }
            }
            if (best >= 0)
            {
                used[best] = true;
                matched[d] = true;
            }
        }
        return matched;
    }

    private static float PointScore(Point2 a, Point2 b, float radius)
    {
        var distance = MathF.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));
        return distance <= radius ? 1f - distance / (radius + 1e-6f) + 1e-6f : 0f;
    }

    /// <summary>VOC all-points AP: area under the precision envelope over every recall step.</summary>
    public static double AveragePrecision(IReadOnlyList<(float Confidence, bool TruePositive)> detections, int groundTruth)
    {
        if (groundTruth == 0)
        {
            return 0;
        }

        var ordered = detections.OrderByDescending(d => d.Confidence).ToList();
        var recall = new double[ordered.Count + 2];
        var precision = new double[ordered.Count + 2];
        int tp = 0, fp = 0;
        for (var i = 0; i < ordered.Count; i++)
        {
            if (ordered[i].TruePositive)
            {
                tp++;
            }
            else
            {
                fp++;
            }

            recall[i + 1] = (double)tp / groundTruth;
            precision[i + 1] = (double)tp / (tp + fp);
        }
        recall[^1] = 1;
        precision[^1] = 0;
        recall[0] = 0;
        precision[0] = 0;
        for (var i = precision.Length - 2; i >= 0; i--)
        {
            precision[i] = Math.Max(precision[i], precision[i + 1]);
        }

        double ap = 0;
        for (var i = 1; i < recall.Length; i++)
        {
            ap += (recall[i] - recall[i - 1]) * precision[i];
        }

        return ap;
    }
}
