using System.Net.Http.Json;
using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Integration.Tests.EndToEnd;

[Collection(RunningPipelineCollection.Name)]
public sealed class When_a_training_runs_through_the_services(RunningPipelineFixture pipeline)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_training_goes_from_BeginTraining_to_Completed_through_every_state()
    {
        var dataset = TestDatasets.Write(Path.Combine(pipeline.WorkFolder, "happy"), images: 20, corrupt: 1);

        var trainingId = await pipeline.BeginAsync(new Uri(dataset).AbsoluteUri);
        var training = await pipeline.WaitForStateAsync(trainingId, Timeout, "Completed", "Failed", "Cancelled");

        Assert.Equal("Completed", training.State);
        Assert.Empty(training.Errors);
        Assert.Equal(
            ["Initialized", "DataDownloading", "DataDownloaded", "TrainingRunning", "TrainingFinished", "ConfusionMatrixSyncing",
             "ConfusionMatrixSynced", "TrainModelUploading", "TrainModelUploaded", "Detecting", "Detected", "DetectionUploading",
             "ReadyForCleanup", "Completed"],
            training.History.Select(t => t.To).ToArray());
        Assert.Equal(1, training.Dataset.SkippedImageCount);
        Assert.Equal(new Dictionary<ImageSkipReason, int> { [ImageSkipReason.Unreadable] = 1 }, training.Dataset.SkippedImagesByReason);
        Assert.Equal(19, training.Dataset.DetectionImageCount);
        Assert.Equal(19, training.Detection.DetectionCount);
        Assert.Equal(2, training.Detection.BatchCount);

        var models = await pipeline.Api.GetFromJsonAsync<List<ModelVersion>>("/models?project=shapes", ApiJson.Options);
        var model = Assert.Single(models!, m => m.TrainingId == trainingId);
        Assert.Equal(training.Model.ModelId, model.Id);
        Assert.True(pipeline.Artifacts.Exists(ArtifactKeys.RegisteredModel(model.Id) + "/weights.bin"));
        Assert.True(pipeline.Artifacts.Exists(ArtifactKeys.DetectionExport(trainingId)));

        // Completed tells every service to drop its scratch; the Downloader's goes.
        await RunningPipelineFixture.WaitUntil("the downloaded dataset is dropped",
            () => Task.FromResult(!pipeline.Artifacts.Exists(ArtifactKeys.Datasets(trainingId))), Timeout);
    }

    [Fact]
    public async Task Versions_of_one_project_count_up_from_one()
    {
        var dataset = new Uri(TestDatasets.Write(Path.Combine(pipeline.WorkFolder, "versions"))).AbsoluteUri;
        var project = $"versions-{Guid.NewGuid():N}";

        var trainings = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => pipeline.BeginAsync(dataset, o => o.Project = project)));
        foreach (var trainingId in trainings)
        {
            Assert.Equal("Completed", (await pipeline.WaitForStateAsync(trainingId, Timeout, "Completed", "Failed")).State);
        }

        var models = await pipeline.Api.GetFromJsonAsync<List<ModelVersion>>($"/models?project={project}", ApiJson.Options);
        Assert.Equal([1, 2, 3], models!.Select(m => m.Version).Order().ToArray());
    }
}
