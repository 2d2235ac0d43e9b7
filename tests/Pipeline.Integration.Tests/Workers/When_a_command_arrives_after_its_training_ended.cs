using Pipeline.Artifacts;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Integration.Tests.EndToEnd;

namespace Pipeline.Integration.Tests.Workers;

/// <summary>
/// The outbox delivers at least once: a relay killed between a send and the row's delete sends it again, maybe after the
/// training has Completed and every service has dropped its scratch (the chaos bench saw 11 such copies land in _error
/// queues). The real Trainer and Detectors acknowledge such a late copy without running it.
/// </summary>
[Collection(AllServicesPipelineCollection.Name)]
public sealed class When_a_command_arrives_after_its_training_ended(AllServicesPipelineFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task The_workers_acknowledge_it_without_running_it_and_nothing_lands_in_an_error_queue()
    {
        var pipeline = fixture.Pipeline;
        var folder = Path.Combine(pipeline.WorkFolder, "ended-training");
        ShapesDataset.Generate(folder, new ShapesDatasetOptions { TrainImages = 8, TestImages = 4, Size = 48, MinShapeSize = 8, MaxShapeSize = 20 });
        var trainingId = await pipeline.BeginAsync(new Uri(Path.Combine(folder, "manifest.json")).AbsoluteUri);
        Assert.Equal(TrainingStates.Completed, (await pipeline.WaitForStateAsync(trainingId, Bound, TrainingStates.Completed, TrainingStates.Failed)).State);
        await RunningPipelineFixture.WaitUntil("every worker has dropped its scratch of the training", () => Task.FromResult(
            pipeline.Artifacts.Exists(ArtifactKeys.Ended(trainingId)) && !pipeline.Artifacts.Exists(ArtifactKeys.Datasets(trainingId))
            && !pipeline.Artifacts.Exists(ArtifactKeys.TrainedModels(trainingId)) && !pipeline.Artifacts.Exists(ArtifactKeys.Detections(trainingId))), Bound);

        await pipeline.SendAsync(StageQueues.TrainModel, new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = ArtifactKeys.Dataset(trainingId, 1), Categories = [], Hyperparameters = new Hyperparameters(),
        });
        await pipeline.SendAsync(StageQueues.DetectImages, new DetectImages
        {
            TrainingId = trainingId, Attempt = 1, BatchIndex = 0, BatchCount = 1, DatasetKey = ArtifactKeys.Dataset(trainingId, 1),
            DetectionListKey = ArtifactKeys.DetectionList(trainingId, 1), FirstImageIndex = 0, ImageCount = 2, ModelId = Guid.NewGuid(),
            ModelKey = ArtifactKeys.TrainedModel(trainingId, 1),
        });

        var trainer = pipeline.Services.Single(s => s.Name == "trainer");
        var detectors = pipeline.Services.Where(s => s.Name.StartsWith("detector", StringComparison.Ordinal)).ToList();
        bool Acknowledged(ServiceProcess service, string type) => service.Output.Split('\n').Any(line => line.Contains($"{type} ", StringComparison.Ordinal)
            && line.Contains($"of {trainingId} came after the training ended and its scratch was dropped: acknowledged, not run", StringComparison.Ordinal));
        await RunningPipelineFixture.WaitUntil("the Trainer and a Detector acknowledge the late copies", () => Task.FromResult(
            Acknowledged(trainer, nameof(TrainModel)) && detectors.Any(d => Acknowledged(d, nameof(DetectImages)))), Bound);
        foreach (var queue in (string[])[StageQueues.TrainModel, StageQueues.DetectImages])
        {
            Assert.Equal((queue, 0), (queue, (await pipeline.Infrastructure.QueueCountsAsync(queue))?.Messages ?? 0));
            Assert.Equal((queue, 0), (queue, (await pipeline.Infrastructure.QueueCountsAsync($"{queue}_error"))?.Messages ?? 0));
        }

        Assert.False(pipeline.Artifacts.Exists(ArtifactKeys.Training(trainingId)) && pipeline.Artifacts.List(ArtifactKeys.Training(trainingId)).Count > 0,
            "a late copy wrote into the dropped scratch");
    }
}
