using Pipeline.Datasets.Evaluation;

namespace Pipeline.Datasets.Tests;

public sealed class When_detections_are_evaluated
{
    private static readonly Category Circle = new() { Id = "circle", Name = "circle", Type = CategoryType.Box };
    private static readonly Category Square = new() { Id = "square", Name = "square", Type = CategoryType.Box };

    private static DatasetImage Image(params Annotation[] annotations) => new("img", "/none.png", 100, 100, DatasetSplit.Test, annotations);
    private static Detection Found(Category c, float confidence, float x, float y) => new(c.Id, c.Name, c.Type, confidence, new Box(x, y, 10, 10));

    [Fact]
    public void Average_precision_of_hit_miss_hit_over_two_truths_is_five_sixths()
    {
        // Ranked TP, FP, TP over 2 truths: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1.
        // Envelope: 1 up to recall 1/2, then 2/3: AP = 1/2 * 1 + 1/2 * 2/3 = 5/6.
        var image = Image(new Annotation("circle", new Box(0, 0, 10, 10)), new Annotation("circle", new Box(50, 50, 10, 10)));
        IReadOnlyList<Detection> found = [Found(Circle, 0.9f, 0, 0), Found(Circle, 0.8f, 80, 0), Found(Circle, 0.7f, 50, 50)];

        var result = DetectionEvaluator.Evaluate([Circle], [(image, found)], 0.5f, 0.75f);

        var circle = Assert.Single(result.Categories);
        Assert.Equal(5.0 / 6.0, circle.AveragePrecision, 6);
        Assert.Equal(5.0 / 6.0, result.MeanAveragePrecision, 6);
        // At confidence 0.75 only the first two count: one hit, one false alarm, one truth missed.
        Assert.Equal((1, 1, 1), (circle.TruePositives, circle.FalsePositives, circle.FalseNegatives));
    }

    [Fact]
    public void The_confusion_matrix_counts_each_box_once_as_true_class_by_predicted_class_with_background()
    {
        // Circles at A and C, a square at B. Found: a circle on A (right), a square on C (a circle taken for a square),
        // a circle where nothing is (background taken for a circle), a square on B below the confidence threshold (not counted).
        var image = Image(new Annotation("circle", new Box(0, 0, 10, 10)), new Annotation("square", new Box(20, 20, 10, 10)),
            new Annotation("circle", new Box(40, 40, 10, 10)));
        IReadOnlyList<Detection> found = [Found(Circle, 0.9f, 0, 0), Found(Square, 0.8f, 40, 40), Found(Circle, 0.7f, 70, 70), Found(Square, 0.3f, 20, 20)];

        var result = DetectionEvaluator.Evaluate([Circle, Square], [(image, found)], 0.5f, 0.5f);

        Assert.Equal(["circle", "square", ConfusionMatrix.Background], result.Confusion.Labels);
        // Rows are the truth, columns the prediction.
        Assert.Equal([[1, 1, 0], [0, 0, 1], [1, 0, 0]], result.Confusion.Counts.Select(row => row.ToArray()).ToArray());
        // The diagonal is each category's true positives; the whole matrix holds every truth and every confident detection.
        Assert.Equal(result.Categories.Select(c => c.TruePositives), result.Confusion.Counts.Take(2).Select((row, i) => row[i]));
        Assert.Equal(3, result.Confusion.Counts.Take(2).Sum(row => row.Sum()));
        Assert.Equal(3, result.Confusion.Counts.Sum(row => row.Take(2).Sum()));
        Assert.Equal((0.5f, 0.5f), (result.Confusion.IouThreshold, result.Confusion.ConfidenceThreshold));
    }

    [Fact]
    public void Mean_average_precision_averages_categories_with_truth_and_counts_their_misses()
    {
        // Circle: one truth found exactly (AP 1). Square: one truth, nothing found (AP 0). mAP = 1/2.
        var image = Image(new Annotation("circle", new Box(0, 0, 10, 10)), new Annotation("square", new Box(40, 40, 10, 10)));
        IReadOnlyList<Detection> found = [Found(Circle, 0.9f, 1, 1)]; // IoU 81/119 = 0.68

        var result = DetectionEvaluator.Evaluate([Circle, Square], [(image, found)]);

        Assert.Equal(0.5, result.MeanAveragePrecision, 6);
        Assert.Equal((1, 0, 0), (result.Categories[0].TruePositives, result.Categories[0].FalsePositives, result.Categories[0].FalseNegatives));
        Assert.Equal((0, 0, 1), (result.Categories[1].TruePositives, result.Categories[1].FalsePositives, result.Categories[1].FalseNegatives));
    }

    [Fact]
    public void A_second_detection_of_the_same_truth_is_a_false_positive_and_a_category_without_truth_is_left_out_of_the_mean()
    {
        var image = Image(new Annotation("circle", new Box(0, 0, 10, 10)));
        IReadOnlyList<Detection> found = [Found(Circle, 0.9f, 0, 0), Found(Circle, 0.8f, 0, 0), Found(Square, 0.9f, 30, 30)];

        var result = DetectionEvaluator.Evaluate([Circle, Square], [(image, found)]);

        // Circle: TP then FP over one truth: precision 1 at recall 1, AP = 1. Square has no truth: not in the mean.
        Assert.Equal(1.0, result.MeanAveragePrecision, 6);
        Assert.Equal((1, 1, 0), (result.Categories[0].TruePositives, result.Categories[0].FalsePositives, result.Categories[0].FalseNegatives));
        Assert.Equal((0, 1, 0), (result.Categories[1].TruePositives, result.Categories[1].FalsePositives, result.Categories[1].FalseNegatives));
    }

    [Fact]
    public void A_box_overlapping_less_than_half_misses()
    {
        var image = Image(new Annotation("circle", new Box(0, 0, 10, 10)));
        IReadOnlyList<Detection> found = [Found(Circle, 0.9f, 5, 0)]; // IoU 50/150 = 1/3

        var result = DetectionEvaluator.Evaluate([Circle], [(image, found)]);

        Assert.Equal(0.0, result.MeanAveragePrecision, 6);
        Assert.Equal((0, 1, 1), (result.TruePositives, result.FalsePositives, result.FalseNegatives));
    }

    [Fact]
    public void Points_match_within_the_radius_and_classifications_match_their_image_label()
    {
        var cross = new Category { Id = "cross", Name = "cross", Type = CategoryType.Point };
        var dark = new Category { Id = "dark", Name = "dark", Type = CategoryType.Classification };
        // Radius 0.05 * 100 px = 5 px: (52, 50) is 2 px from the truth, (70, 70) far from any.
        var image = Image(new Annotation("cross", Point: new Point2(50, 50)), new Annotation("dark"));
        IReadOnlyList<Detection> found =
        [
            new("cross", "cross", CategoryType.Point, 0.9f, Point: new Point2(52, 50)),
            new("cross", "cross", CategoryType.Point, 0.6f, Point: new Point2(70, 70)),
            new("dark", "dark", CategoryType.Classification, 0.8f),
        ];

        var result = DetectionEvaluator.Evaluate([cross, dark], [(image, found)]);

        Assert.Equal((1, 1, 0), (result.Categories[0].TruePositives, result.Categories[0].FalsePositives, result.Categories[0].FalseNegatives));
        Assert.Equal((1, 0, 0), (result.Categories[1].TruePositives, result.Categories[1].FalsePositives, result.Categories[1].FalseNegatives));
        Assert.Equal(1.0, result.MeanAveragePrecision, 6);
    }
}
