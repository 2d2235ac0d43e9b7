using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Artifacts;
using Xunit.Abstractions;

namespace Pipeline.Integration.Tests.EndToEnd;

[Collection(AllServicesPipelineCollection.Name)]
public sealed class When_a_training_runs_through_all_five_services(AllServicesPipelineFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task A_training_is_trained_by_the_Trainer_and_detected_by_both_Detectors_to_Completed()
    {
        var pipeline = fixture.Pipeline;
        var dataset = Path.Combine(pipeline.WorkFolder, "five-services");
        ShapesDataset.Generate(dataset, new ShapesDatasetOptions { TrainImages = 16, TestImages = 4, Size = 64, MinShapeSize = 8, MaxShapeSize = 24 });
        var project = $"five-{Guid.NewGuid():N}";
        var (iterationsBefore, imagesBefore) = await TrainerCountersAsync(pipeline);

        // Begun as a user begins one: through the pipeline command, which prints the new training's id.
        var (exitCode, printed) = await PipelineCommand.RunAsync(pipeline,
            "begin", Path.Combine(dataset, "manifest.json"), "--project", project, "--iterations", "200", "--resolution", "64", "--batch-size", "8", "--learning-rate", "0.005");
        Assert.True(exitCode == 0, printed);
        var trainingId = Guid.Parse(Regex.Match(printed, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").Value);
        var training = await pipeline.WaitForStateAsync(trainingId, Timeout, "Completed", "Failed", "Cancelled");

        Assert.Equal("Completed", training.State);
        Assert.Empty(training.Errors);
        Assert.Equal(10, training.Detection.BatchCount);
        var models = await pipeline.Api.GetFromJsonAsync<List<ModelVersion>>($"/models?project={project}", ApiJson.Options);
        var model = Assert.Single(models!);
        Assert.Equal(trainingId, model.TrainingId);
        Assert.Equal("weights.bin", Assert.Single(model.Files).Name);
        Assert.True(pipeline.Artifacts.Exists(ArtifactKeys.DetectionExport(trainingId)));
        // What was exported reproduces the reported figure: the full export, read back and scored against the test split's
        // ground truth by the Uploader, gives the Trainer's evaluation of the model it registered.
        Assert.True(pipeline.Artifacts.Exists(ArtifactKeys.FullDetectionExport(trainingId)));
        Assert.True(pipeline.Artifacts.Exists(ArtifactKeys.GroundTruthExport(trainingId)));
        var evaluated = training.Training.BestMetrics!.MeanAveragePrecision;
        var exported = training.Detection.ExportedMeanAveragePrecision;
        output.WriteLine($"mAP@0.5: evaluation {evaluated:0.0000}, of the export {exported:0.0000}");
        Assert.NotNull(exported);
        Assert.InRange(exported.Value, evaluated - 0.005, evaluated + 0.005);
        // Two hundred iterations find a few shapes (0.0115 when measured): the figures agree on a model that detects, not on zero and zero.
        Assert.True(evaluated > 0, $"mAP@0.5 {evaluated} after 200 iterations: the comparison says nothing");
        // The curves: the Trainer's reports in iteration order, the last one carrying its final evaluation's mAP.
        var series = (await pipeline.Api.GetFromJsonAsync<List<ProgressPoint>>($"/trainings/{trainingId}/series", ApiJson.Options))!;
        Assert.Equal(series.Select(p => p.Iteration).Order(), series.Select(p => p.Iteration));
        Assert.Equal(200, series[^1].Iteration);
        Assert.NotNull(series[^1].MeanAveragePrecision);
        Assert.All(series, p => Assert.NotNull(p.Loss));
        var detectors = pipeline.Services.Where(s => s.Name.StartsWith("detector", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, detectors.Count);
        // The services' stdout is read asynchronously: their lines are waited for, not read at once.
        await RunningPipelineFixture.WaitUntil("both Detectors log a batch of the training",
            () => Task.FromResult(detectors.All(d => d.Output.Contains($"of {trainingId}"))), Timeout);
        var trainer = pipeline.Services.Single(s => s.Name == "trainer");
        await RunningPipelineFixture.WaitUntil("the Trainer logs the end of the training",
            () => Task.FromResult(trainer.Output.Contains($"Training {trainingId} finished at iteration 200")), Timeout);
        // The Trainer's own counters, as Prometheus scrapes them from its listener: every iteration of this training, and
        // each iteration's batch of images.
        var (iterations, images) = await TrainerCountersAsync(pipeline);
        Assert.Equal((200, 200 * 8), (iterations - iterationsBefore, images - imagesBefore));
        // Every service drops its scratch of the training once it is done, the Trainer's lease and its lock file included.
        var scratch = pipeline.Artifacts.GetLocalPath(ArtifactKeys.Training(trainingId));
        await RunningPipelineFixture.WaitUntil($"no file is left under {scratch}", () => Task.FromResult(
            !Directory.Exists(scratch) || !Directory.EnumerateFiles(scratch, "*", SearchOption.AllDirectories).Any()), Timeout);
    }

    /// <summary>The Trainer's pipeline_training_iterations and pipeline_training_images counters (0 before its first training).</summary>
    private static async Task<(long Iterations, long Images)> TrainerCountersAsync(RunningPipelineFixture pipeline)
    {
        using var scraper = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var metrics = await scraper.GetStringAsync($"http://127.0.0.1:{pipeline.TrainerMetricsPort}/metrics");
        Assert.Matches(@"(?m)^target_info\{[^}]*service_name=""trainer""", metrics);
        return (Counter(metrics, "pipeline_training_iterations"), Counter(metrics, "pipeline_training_images"));
    }

    private static long Counter(string metrics, string name) =>
        Regex.Match(metrics, $@"(?m)^{name}_total(\{{[^}}]*\}})? (?<value>\d+)") is { Success: true } found ? long.Parse(found.Groups["value"].Value) : 0;
}
