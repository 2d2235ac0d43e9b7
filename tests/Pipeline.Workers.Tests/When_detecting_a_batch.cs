using Pipeline.Contracts;
using Pipeline.Detector;
using Pipeline.Artifacts;

namespace Pipeline.Workers.Tests;

public sealed class When_detecting_a_batch : IDisposable
{
    private readonly WorkerStore workers = new();

    [Fact]
    public async Task It_writes_for_each_image_of_its_slice_the_sized_boxes_above_MinConfidence_with_overlaps_over_NmsIou_suppressed()
    {
        // 40 iterations: an untrained model scores every cell at its prior (about 0.1) with empty boxes, which any
        // threshold either keeps or drops whole; a trained one spreads its scores, so the thresholds have work to do.
        var (slice, categories) = await TrainedModelAndBatch(iterations: 40);
        var command = slice with { ImageCount = 10 };
        var settings = new DetectorSettings { Device = "cpu", MinConfidence = 0.1f, NmsIou = 0.01f };

        var batch = await workers.Detection(settings).DetectAsync(command, CancellationToken.None);

        Assert.Equal(ArtifactKeys.DetectionBatch(command.TrainingId, command.Attempt, command.BatchIndex), batch.DetectionsKey);
        var detections = await workers.Store.ReadAsync<List<ImageDetections>>(batch.DetectionsKey);
        var imageIds = await workers.Store.ReadAsync<List<string>>(command.DetectionListKey);
        Assert.Equal(imageIds.Skip(2).Take(10), detections.Select(d => d.ImageId));
        Assert.Equal(10, batch.ImageCount);
        Assert.All(detections, d => Assert.NotEmpty(d.Boxes));
        Assert.Equal(detections.Sum(d => d.Boxes.Count), batch.DetectionCount);
        Assert.All(detections.SelectMany(d => d.Boxes), box =>
        {
            Assert.Equal(command.ModelId, box.ModelId);
            Assert.Contains(box.CategoryId, categories.Select(c => c.Id));
            Assert.InRange(box.Confidence, settings.MinConfidence, 1);
            Assert.True(box.Width > 0 && box.Height > 0, $"{box.CategoryId} box of {box.Width}x{box.Height}");
        });
        var overlapping = detections.SelectMany(d => d.Boxes.SelectMany((a, i) => d.Boxes.Skip(i + 1)
            .Where(b => b.CategoryId == a.CategoryId && IoU(a, b) > settings.NmsIou)
            .Select(b => $"{d.ImageId} {a.CategoryId}: IoU {IoU(a, b):F2}")));
        Assert.Equal([], overlapping);
    }

    private static double IoU(BoxDetection a, BoxDetection b)
    {
        var width = Math.Min(a.X + a.Width, b.X + b.Width) - Math.Max(a.X, b.X);
        var height = Math.Min(a.Y + a.Height, b.Y + b.Height) - Math.Max(a.Y, b.Y);
        var intersection = Math.Max(0, width) * Math.Max(0, height);
        return intersection / (a.Width * a.Height + b.Width * b.Height - intersection);
    }

    [Fact]
    public async Task A_second_delivery_of_a_batch_answers_with_the_written_batch_and_leaves_its_file_untouched()
    {
        var (command, _) = await TrainedModelAndBatch();
        var first = await workers.Detection().DetectAsync(command, CancellationToken.None);
        var written = File.GetLastWriteTimeUtc(workers.Store.GetLocalPath(first.DetectionsKey));
        File.SetLastWriteTimeUtc(workers.Store.GetLocalPath(first.DetectionsKey), written.AddHours(-1));

        var second = await workers.Detection().DetectAsync(command, CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(written.AddHours(-1), File.GetLastWriteTimeUtc(workers.Store.GetLocalPath(first.DetectionsKey)));
    }

    [Fact]
    public async Task A_model_file_that_does_not_match_its_checksum_is_named()
    {
        var (command, _) = await TrainedModelAndBatch();
        await File.AppendAllTextAsync(workers.Store.GetLocalPath($"{command.ModelKey}/weights.bin"), "tampered");

        var error = await Assert.ThrowsAsync<StageInputException>(() => workers.Detection().DetectAsync(command, CancellationToken.None));

        Assert.Contains("'weights.bin'", error.Message);
    }

    [Fact]
    public async Task A_slice_beyond_the_detection_list_is_bad_input()
    {
        var (command, _) = await TrainedModelAndBatch();

        var error = await Assert.ThrowsAsync<StageInputException>(
            () => workers.Detection().DetectAsync(command with { FirstImageIndex = 10, ImageCount = 5 }, CancellationToken.None));

        Assert.Contains("detection list", error.Message);
    }

    private async Task<(DetectImages Command, IReadOnlyList<Category> Categories)> TrainedModelAndBatch(int iterations = 2)
    {
        var trainingId = Guid.NewGuid();
        var (datasetKey, categories) = workers.AddShapesDataset(trainingId);
        var trained = await workers.Training(WorkerStore.TrainerSettings()).RunAsync(new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = datasetKey, Categories = categories, Hyperparameters = WorkerStore.Quick(iterations),
        }, new RecordedTrainingEvents(), CancellationToken.None, CancellationToken.None);
        return (new DetectImages
        {
            TrainingId = trainingId, Attempt = 1, BatchIndex = 1, BatchCount = 3, DatasetKey = datasetKey,
            DetectionListKey = ArtifactKeys.DetectionList(trainingId, 1), FirstImageIndex = 2, ImageCount = 3,
            ModelId = Guid.NewGuid(), ModelKey = trained.ModelKey,
        }, categories);
    }

    public void Dispose() => workers.Dispose();
}
