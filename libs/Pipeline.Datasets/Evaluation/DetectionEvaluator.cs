namespace Pipeline.Datasets.Evaluation;

/// <summary>
/// mAP; per category (the contracts' <see cref="CategoryMetrics"/>, what the learning loop syncs) AP at the match
/// threshold and tp/fp/fn among detections at or above the confidence threshold; and the confusion matrix of the box
/// categories at those thresholds.
/// </summary>
public sealed record EvaluationResult(
    double MeanAveragePrecision, IReadOnlyList<CategoryMetrics> Categories, float IouThreshold, float ConfidenceThreshold, ConfusionMatrix Confusion)
{
    public int TruePositives => Categories.Sum(c => c.TruePositives);
    public int FalsePositives => Categories.Sum(c => c.FalsePositives);
    public int FalseNegatives => Categories.Sum(c => c.FalseNegatives);

    /// <summary>The pipeline's metrics of a training at <paramref name="iteration"/>.</summary>
    public TrainingMetrics ToTrainingMetrics(int iteration, double loss) => new()
    {
        Iteration = iteration, Loss = loss, MeanAveragePrecision = MeanAveragePrecision, Categories = Categories, Confusion = Confusion,
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
                var matchedAll = Matched(Match(category.Type, truth, truths, mine, iouThreshold, pointRadius));
                for (var i = 0; i < mine.Count; i++)
                {
                    ranked.Add((mine[i].Confidence, matchedAll[i]));
                }

                var confident = mine.Where(d => d.Confidence >= confidenceThreshold).ToList();
                var matchedConfident = Matched(Match(category.Type, truth, truths, confident, iouThreshold, pointRadius));
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
        return new EvaluationResult(map, results.Select(r => r.Metrics).ToList(), iouThreshold, confidenceThreshold,
            Confusion(categories, images, iouThreshold, confidenceThreshold));
    }

    /// <summary>
    /// The box categories' confusion matrix (see <see cref="ConfusionMatrix"/>): each detection at or above the
    /// confidence threshold first matched within its category exactly as the true positives are counted, then what is left
    /// across categories (most confident first, each truth once), then background.
    /// </summary>
    public static ConfusionMatrix Confusion(
        IReadOnlyList<Category> categories, IReadOnlyList<(DatasetImage Truth, IReadOnlyList<Detection> Detections)> images,
        float iouThreshold, float confidenceThreshold)
    {
        var boxes = categories.Where(c => c.Type == CategoryType.Box).ToList();
        var row = boxes.Select((category, index) => (category.Id, index)).ToDictionary(pair => pair.Id, pair => pair.index);
        var background = boxes.Count;
        var counts = new int[boxes.Count + 1, boxes.Count + 1];
        foreach (var (truth, detections) in images)
        {
            var truths = truth.Annotations.Where(a => a.Box is not null && row.ContainsKey(a.CategoryId)).ToList();
            var taken = new bool[truths.Count];
            var leftOver = new List<Detection>();
            foreach (var category in boxes)
            {
                var own = truths.Select((annotation, index) => (annotation, index)).Where(t => t.annotation.CategoryId == category.Id).ToList();
                var confident = detections.Where(d => d.CategoryId == category.Id && d.Box is not null)
                    .OrderByDescending(d => d.Confidence).Where(d => d.Confidence >= confidenceThreshold).ToList();
                var match = Match(CategoryType.Box, truth, [.. own.Select(t => t.annotation)], confident, iouThreshold, 0);
                for (var d = 0; d < confident.Count; d++)
                {
                    if (match[d] >= 0)
                    {
                        taken[own[match[d]].index] = true;
                        counts[row[category.Id], row[category.Id]]++;
                    }
                    else
                    {
                        leftOver.Add(confident[d]);
                    }
                }
            }

            foreach (var detection in leftOver.OrderByDescending(d => d.Confidence))
            {
                var best = -1;
                var bestIou = iouThreshold;
                for (var t = 0; t < truths.Count; t++)
                {
                    if (!taken[t] && truths[t].CategoryId != detection.CategoryId && BoxOps.IoU(detection.Box!.Value, truths[t].Box!.Value) is var iou && iou >= bestIou)
                    {
                        (best, bestIou) = (t, iou);
                    }
                }

                if (best >= 0)
                {
                    taken[best] = true;
                }

                counts[best >= 0 ? row[truths[best].CategoryId] : background, row[detection.CategoryId]]++;
            }

            for (var t = 0; t < truths.Count; t++)
            {
                if (!taken[t])
                {
                    counts[row[truths[t].CategoryId], background]++;
                }
            }
        }

        return new ConfusionMatrix
        {
            Labels = [.. boxes.Select(c => c.Id), ConfusionMatrix.Background],
            Counts = [.. Enumerable.Range(0, boxes.Count + 1).Select(t => (IReadOnlyList<int>)[.. Enumerable.Range(0, boxes.Count + 1).Select(p => counts[t, p])])],
            IouThreshold = iouThreshold, ConfidenceThreshold = confidenceThreshold,
        };
    }

    private static bool[] Matched(int[] match) => [.. match.Select(truth => truth >= 0)];

    /// <summary>
    /// Greedy matching in confidence order (detections sorted descending): each truth matches at most once. Returns, per
    /// detection, the index of the truth it matched, or -1.
    /// </summary>
    private static int[] Match(CategoryType type, DatasetImage image, List<Annotation> truths, List<Detection> detections, float iouThreshold, float pointRadius)
    {
        var matched = Enumerable.Repeat(-1, detections.Count).ToArray();
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
                matched[d] = best;
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
