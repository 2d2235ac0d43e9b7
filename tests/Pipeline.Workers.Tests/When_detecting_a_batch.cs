using Pipeline.Contracts;
using Pipeline.Hosting.Artifacts;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Workers.Tests;

public sealed class When_detecting_a_batch : IDisposable
{
    private readonly WorkerStore workers = new();

    [Fact]
    public async Task It_writes_the_detections_of_each_image_of_its_slice()
    {
        var (command, categories) = await TrainedModelAndBatch();

        var batch = await workers.Detection().DetectAsync(command, CancellationToken.None);

        Assert.Equal(ArtifactKeys.DetectionBatch(command.TrainingId, command.BatchIndex), batch.DetectionsKey);
        var detections = await workers.Store.ReadAsync<List<ImageDetections>>(batch.DetectionsKey);
        var imageIds = await workers.Store.ReadAsync<List<string>>(command.DetectionListKey);
        Assert.Equal(imageIds.Skip(2).Take(3), detections.Select(d => d.ImageId));
        Assert.Equal(3, batch.ImageCount);
        Assert.Equal(detections.Sum(d => d.Boxes.Count), batch.DetectionCount);
        Assert.All(detections.SelectMany(d => d.Boxes), box =>
        {
            Assert.Equal(command.ModelId, box.ModelId);
            Assert.Contains(box.CategoryId, categories.Select(c => c.Id));
            Assert.InRange(box.Confidence, 0.05, 1);
        });
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

    private async Task<(DetectImages Command, IReadOnlyList<Category> Categories)> TrainedModelAndBatch()
    {
        var trainingId = Guid.NewGuid();
        var (datasetKey, categories) = workers.AddShapesDataset(trainingId);
        var trained = await workers.Training(WorkerStore.TrainerSettings()).RunAsync(new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = datasetKey, Categories = categories, Hyperparameters = WorkerStore.Quick(2),
        }, new RecordedTrainingEvents(), CancellationToken.None);
        return (new DetectImages
        {
            TrainingId = trainingId, Attempt = 1, BatchIndex = 1, BatchCount = 3, DatasetKey = datasetKey,
            DetectionListKey = ArtifactKeys.DetectionList(trainingId), FirstImageIndex = 2, ImageCount = 3,
            ModelId = Guid.NewGuid(), ModelKey = trained.ModelKey,
        }, categories);
    }

    public void Dispose() => workers.Dispose();
}
