using System.Net.Http.Json;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Artifacts;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>With the real Trainer and Detectors: a training cancelled while it trains, and one that continues from a registered model.</summary>
[Collection(AllServicesPipelineCollection.Name)]
public sealed class When_a_training_is_cancelled_or_continued_on_all_five_services(AllServicesPipelineFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private RunningPipelineFixture Pipeline => fixture.Pipeline;

    [Fact]
    public async Task A_training_cancelled_while_it_trains_stops_the_Trainer_and_every_service_drops_its_scratch()
    {
        var trainingId = await Pipeline.BeginAsync(Dataset("cancel"), o => { o.Iterations = 100_000; o.Resolution = 64; });
        await RunningPipelineFixture.WaitUntil("the training reports progress", async () =>
        {
            using var response = await Pipeline.Api.GetAsync($"/trainings/{trainingId}");
            return response.IsSuccessStatusCode
                && (await response.Content.ReadFromJsonAsync<TrainingDetails>(ApiJson.Options))?.Training.Progress is not null;
        }, Timeout);
        var trainer = Pipeline.Services.Single(s => s.Name == "trainer");

        var (exitCode, output) = await PipelineCommand.RunAsync(Pipeline, "cancel", trainingId.ToString());

        Assert.True(exitCode == 0, output);
        var training = await Pipeline.WaitForStateAsync(trainingId, Timeout, "Cancelled");
        // Stopped, or failed by the cleanup that the cancel set off under it (its dataset dropped mid-step): whichever comes first.
        var stopped = $"Training {trainingId} (attempt 1) stopped: it was cancelled";
        await RunningPipelineFixture.WaitUntil("the Trainer stops or fails the training", () => Task.FromResult(trainer.Output.Contains(stopped)
            || trainer.Output.Split('\n').Any(line => line.Contains(trainingId.ToString()) && line.Contains("R-FAULT"))), Timeout);
        Assert.Contains(stopped, trainer.Output);
        await WaitForLog(trainer, $"Dropped the checkpoints and trained model of {trainingId}");
        await RunningPipelineFixture.WaitUntil("the Detectors drop the training's batches",
            () => Task.FromResult(Pipeline.Services.Any(s => s.Name.StartsWith("detector", StringComparison.Ordinal)
                && s.Output.Contains($"Dropped the detection batches of {trainingId}"))), Timeout);
        await RunningPipelineFixture.WaitUntil("the downloaded dataset is dropped",
            () => Task.FromResult(!Pipeline.Artifacts.Exists(ArtifactKeys.Datasets(trainingId))), Timeout);
        // Stopped, not finished: far short of its iterations, no model, and nothing of it left where the Trainer writes.
        Assert.True(training.Training.Progress!.Iteration < 100_000 / 10);
        Assert.Null(training.Training.TrainedModelKey);
        Assert.Empty(Pipeline.Artifacts.List(ArtifactKeys.Checkpoints(trainingId)));
    }

    [Fact]
    public async Task A_training_continued_from_a_registered_model_downloads_it_and_the_Trainer_starts_from_it()
    {
        var project = $"continue-{Guid.NewGuid():N}";
        var dataset = Dataset("continue");
        var first = await Pipeline.BeginAsync(dataset, o => { o.Project = project; o.Resolution = 64; });
        var baseModel = (await Pipeline.WaitForStateAsync(first, Timeout, "Completed", "Failed")).Model;
        Assert.NotNull(baseModel.ModelId);

        var second = await Pipeline.BeginAsync(dataset, o => { o.Project = project; o.Resolution = 64; o.BaseModelId = baseModel.ModelId; });
        var training = await Pipeline.WaitForStateAsync(second, Timeout, "Completed", "Failed", "Cancelled");

        Assert.Equal("Completed", training.State);
        Assert.Equal(baseModel.ModelId, training.Training.BaseModelId);
        Assert.Equal(
            ["Initialized", "DataDownloading", "DataDownloaded", "TrainModelDownloading", "TrainModelDownloaded", "TrainingRunning", "TrainingFinished"],
            training.History.Select(t => t.To).Take(7).ToArray());
        var trainer = Pipeline.Services.Single(s => s.Name == "trainer");
        await WaitForLog(trainer, $"Training {second} from ");
        var started = trainer.Output.Split('\n').Single(line => line.Contains($"Training {second} from "));
        Assert.DoesNotContain("from scratch", started);
        var models = await Pipeline.Api.GetFromJsonAsync<List<ModelVersion>>($"/models?project={project}", ApiJson.Options);
        Assert.Equal([1, 2], models!.Select(m => m.Version).Order());
    }

    private string Dataset(string name)
    {
        var folder = Path.Combine(Pipeline.WorkFolder, $"{name}-{Guid.NewGuid():N}");
        ShapesDataset.Generate(folder, new ShapesDatasetOptions { TrainImages = 8, TestImages = 4, Size = 64, MinShapeSize = 8, MaxShapeSize = 24 });
        return new Uri(Path.Combine(folder, "manifest.json")).AbsoluteUri;
    }

    private static Task WaitForLog(ServiceProcess service, string text) =>
        RunningPipelineFixture.WaitUntil($"{service.Name} logs '{text}'", () => Task.FromResult(service.Output.Contains(text)), Timeout);
}
