using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Xunit.Abstractions;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>
/// Promote only what improves, with the real Trainer: every model is registered, the project's current one moves to a
/// well-trained model that beats it on its test split, and stays there when a deliberately worse training (a few
/// iterations) is registered after it.
/// </summary>
[Collection(AllServicesPipelineCollection.Name)]
public sealed class PromotionThroughAllFiveServicesTests(AllServicesPipelineFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(300);
    private readonly string project = $"promotion-{Guid.NewGuid():N}";

    [Fact]
    public async Task A_good_training_is_promoted_over_a_worse_one_and_a_later_worse_one_is_registered_but_not_promoted()
    {
        var pipeline = fixture.Pipeline;
        var dataset = Path.Combine(pipeline.WorkFolder, project);
        // The Vision tests' small shapes set: 80 iterations reach mAP@0.5 ~0.45 on it, 2 iterations next to nothing.
        ShapesDataset.Generate(dataset, new ShapesDatasetOptions
        {
            Seed = 7, TrainImages = 24, TestImages = 6, Size = 64, MinShapeSize = 8, MaxShapeSize = 20,
            IncludePointCategory = true, IncludeClassificationCategory = true,
        });
        var manifest = Path.Combine(dataset, "manifest.json");

        var first = await TrainAsync(manifest, iterations: 2);
        Assert.True(first.IsCurrent, first.Promotion?.Reason);
        Assert.Contains("first model", first.Promotion!.Reason);

        var good = await TrainAsync(manifest, iterations: 80);
        Assert.True(good.IsCurrent, good.Promotion?.Reason);
        Assert.Equal(first.Id, good.Promotion!.ComparedWithModelId);
        Assert.True(good.Metrics.MeanAveragePrecision > good.Promotion.ComparedMeanAveragePrecision, good.Promotion.Reason);
        Assert.Matches(@"^mAP@0\.5 \d\.\d{3} beats version 1's \d\.\d{3} on this training's test split$", good.Promotion.Reason);

        var worse = await TrainAsync(manifest, iterations: 2);
        Assert.False(worse.IsCurrent);
        Assert.False(worse.Promotion!.Promoted);
        Assert.Equal((good.Id, good.Version), (worse.Promotion.ComparedWithModelId, worse.Promotion.ComparedWithVersion));
        Assert.Matches(@"^mAP@0\.5 \d\.\d{3} does not beat version 2's \d\.\d{3} on this training's test split$", worse.Promotion.Reason);

        var current = await pipeline.Api.GetFromJsonAsync<ModelVersion>($"/models/current?organization=e2e&project={project}", ApiJson.Options);
        Assert.Equal(good.Id, current!.Id);
        var models = (await pipeline.Api.GetFromJsonAsync<List<ModelVersion>>($"/models?project={project}", ApiJson.Options))!;
        foreach (var model in models.OrderBy(model => model.Version))
        {
            output.WriteLine($"version {model.Version}: mAP@0.5 {model.Metrics.MeanAveragePrecision:F3}, {(model.IsCurrent ? "current" : "not current")}, {model.Promotion!.Reason}");
        }

        Assert.Equal([1, 2, 3], models.Select(model => model.Version).Order());
        Assert.Equal([good.Id], models.Where(model => model.IsCurrent).Select(model => model.Id));
    }

    /// <returns>The model the training registered, as the registry lists it once the training completed.</returns>
    private async Task<ModelVersion> TrainAsync(string manifest, int iterations)
    {
        var pipeline = fixture.Pipeline;
        var (exitCode, printed) = await PipelineCommand.RunAsync(pipeline,
            "begin", manifest, "--org", "e2e", "--project", project, "--iterations", iterations.ToString(), "--resolution", "64",
            "--batch-size", "8", "--learning-rate", "0.003", "--detect", "none");
        Assert.True(exitCode == 0, printed);
        var trainingId = Guid.Parse(Regex.Match(printed, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").Value);
        var training = await pipeline.WaitForStateAsync(trainingId, Timeout, "Completed", "Failed", "Cancelled");
        Assert.True(training.State == "Completed", string.Join("; ", training.Errors.Select(error => $"{error.Key}: {error.Value}")));
        var models = (await pipeline.Api.GetFromJsonAsync<List<ModelVersion>>($"/models?project={project}", ApiJson.Options))!;
        return Assert.Single(models, model => model.TrainingId == trainingId);
    }
}
