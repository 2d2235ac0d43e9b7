using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Artifacts;
using Pipeline.Integration.Tests.EndToEnd;

namespace Pipeline.Integration.Tests.Dashboard;

/// <summary>
/// The dashboard in a real Chromium against all five services: what a user sees of a training begun over HTTP while the
/// real Trainer trains it, what they can do from the page, and what a finished training shows.
/// </summary>
[Collection(AllServicesPipelineCollection.Name)]
public sealed class When_a_user_drives_the_dashboard_in_Chromium(AllServicesPipelineFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private static readonly float Wait = 60_000;

    private Chromium chromium = null!;
    private IPage page = null!;

    private RunningPipelineFixture Pipeline => fixture.Pipeline;

    public async Task InitializeAsync()
    {
        chromium = await Chromium.StartAsync();
        page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1000 } });
        page.SetDefaultTimeout(Wait);
        Assertions.SetDefaultExpectTimeout(Wait);
    }

    public async Task DisposeAsync() => await chromium.DisposeAsync();

    [Fact]
    public async Task A_training_begun_over_http_appears_after_login_its_curve_grows_a_viewers_cancel_is_refused_and_an_operators_cancels_it()
    {
        var project = $"dash-live-{Guid.NewGuid():N}"[..20];
        var trainingId = await BeginOverHttpAsync(project, iterations: 2000);

        // Without a session the dashboard sends the browser to log in, and back to the page it asked for once it has.
        await page.GotoAsync($"{Pipeline.Api.BaseAddress}#/?project={project}");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login#/\\?project="));
        await page.FillAsync("#token", "not-a-token");
        await page.ClickAsync("#sign-in");
        await Assertions.Expect(page.Locator("#login-message")).ToContainTextAsync("401");
        await page.FillAsync("#token", Pipeline.ViewerToken);
        await page.ClickAsync("#sign-in");
        await Assertions.Expect(page.Locator("#session")).ToContainTextAsync("signed in as viewer");
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live");
        await Assertions.Expect(page.Locator($"#trainings tr[data-id='{trainingId}']")).ToBeVisibleAsync();
        // The list's last column is when the training last changed (the API's "updated"), never blank.
        await Assertions.Expect(page.Locator($"#trainings tr[data-id='{trainingId}'] td.updated")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("\\d"));
        await page.ClickAsync($"#trainings tr[data-id='{trainingId}'] a");
        await Assertions.Expect(page.Locator("#stages li[data-stage='TrainingRunning']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("running"));

        // Pushed over /events, not reloaded: the curve's points grow while the page stays.
        var first = await PointsAsync(atLeast: 2);
        var later = await PointsAsync(atLeast: first + 3);
        Assert.True(later > first, $"{first} points, then {later}");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotFolder, "training-running.png"), FullPage = true });

        await page.ClickAsync("#cancel");
        await Assertions.Expect(page.Locator("#action-message")).ToContainTextAsync("403");
        Assert.Equal("TrainingRunning", (await DetailsAsync(trainingId)).State);

        await LogInAsync(Pipeline.ActionToken, $"#/trainings/{trainingId}");
        await page.ClickAsync("#cancel");
        await Assertions.Expect(page.Locator("h2 .state")).ToHaveTextAsync("Cancelled");
        Assert.Equal("Cancelled", (await Pipeline.WaitForStateAsync(trainingId, Timeout, "Cancelled")).State);
        await Assertions.Expect(page.Locator("#cancel")).ToBeDisabledAsync();
    }

    [Fact]
    public async Task Stop_from_the_page_ends_a_training_early_and_it_completes_with_its_best_evaluation_registered()
    {
        var project = $"dash-stop-{Guid.NewGuid():N}"[..20];
        // One image the manifest lists is gone: the page says it was left out, and why.
        var trainingId = await BeginOverHttpAsync(project, iterations: 5000,
            alter: dataset => File.Delete(Directory.EnumerateFiles(dataset, "*.png", SearchOption.AllDirectories).Order().First()));
        await LogInAsync(Pipeline.ActionToken, $"#/trainings/{trainingId}");
        await Assertions.Expect(page.Locator("#stop")).ToBeEnabledAsync();
        await Assertions.Expect(page.Locator("#images")).ToContainTextAsync("1 skipped (1 missing)");
        // Past a few evaluations (one every 10 iterations), so there is a best to keep.
        await RunningPipelineFixture.WaitUntil("the training is past iteration 30",
            async () => (await DetailsAsync(trainingId)).Training.Progress?.Iteration >= 30, Timeout);

        await page.ClickAsync("#stop");
        await Assertions.Expect(page.Locator("#action-message")).ToHaveTextAsync("stop sent");

        var training = await Pipeline.WaitForStateAsync(trainingId, Timeout, "Completed", "Failed", "Cancelled");
        Assert.Equal("Completed", training.State);
        var stoppedAt = training.Training.StoppedAtIteration ?? throw new Xunit.Sdk.XunitException("the training does not say where it stopped");
        Assert.InRange(stoppedAt, 30, 4999);
        Assert.Contains(training.History, h => h.Note == $"stopped at iteration {stoppedAt} of 5000 (stopped over the status API)");
        // The registered model is the best evaluation's, at or before the stop, with exactly its metrics.
        var registered = await Pipeline.Artifacts.ReadDescriptionAsync(ArtifactKeys.RegisteredModel(training.Model.ModelId!.Value));
        var best = training.Training.BestMetrics!;
        Assert.InRange(registered.Metrics!.Iteration, 1, stoppedAt);
        Assert.Equal((best.Iteration, best.MeanAveragePrecision), (registered.Metrics.Iteration, registered.Metrics.MeanAveragePrecision));
        Assert.True(training.Detection.BatchCount > 0, "the stopped training went on to detection");
        Assert.Equal(training.Detection.BatchCount, training.Detection.BatchesDetected);
        Assert.NotNull(training.Detection.ExportKey);
        await Assertions.Expect(page.Locator("h2 .state")).ToHaveTextAsync("Completed");
        await Assertions.Expect(page.Locator("#history")).ToContainTextAsync($"stopped at iteration {stoppedAt}");
        await Assertions.Expect(page.Locator("#stop")).ToBeDisabledAsync();
    }

    [Fact]
    public async Task A_completed_training_shows_its_stages_curve_per_category_counts_confusion_matrix_model_and_detections_and_the_models_and_queues_pages_list_them()
    {
        var project = $"dash-done-{Guid.NewGuid():N}"[..20];
        var trainingId = await BeginOverHttpAsync(project, iterations: 30);
        var training = await Pipeline.WaitForStateAsync(trainingId, Timeout, "Completed", "Failed", "Cancelled");
        Assert.Equal("Completed", training.State);
        // The page is opened after cleanup dropped the dataset: its test images come from the export.
        await RunningPipelineFixture.WaitUntil("the downloaded dataset is dropped",
            () => Task.FromResult(!Pipeline.Artifacts.Exists(ArtifactKeys.Datasets(trainingId))), Timeout);

        await LogInAsync(Pipeline.ViewerToken, $"#/trainings/{trainingId}");
        await Assertions.Expect(page.Locator("h2 .state")).ToHaveTextAsync("Completed");
        Assert.Equal(5, await page.Locator("#stages li.done").CountAsync());
        Assert.Equal(1, await page.Locator("#stages li.skipped").CountAsync());
        var categories = training.Training.BestMetrics!.Categories;
        Assert.Equal(categories.Count, await page.Locator("#per-category tbody tr").CountAsync());
        var circle = categories.First();
        Assert.Equal(circle.TruePositives.ToString(), await page.Locator($"#per-category tr[data-category='{circle.CategoryId}'] td").Nth(1).TextContentAsync());
        // The real evaluator's confusion matrix: a row per category and background, its diagonal the true positives.
        var confusion = training.Training.BestMetrics.Confusion!;
        Assert.Equal(confusion.Labels.Count, await page.Locator("#confusion-matrix tbody tr").CountAsync());
        var diagonal = confusion.Labels.ToList().IndexOf(circle.CategoryId);
        Assert.Equal(circle.TruePositives.ToString(), await page.Locator($"#confusion-matrix tr[data-label='{circle.CategoryId}'] td").Nth(diagonal).TextContentAsync());
        Assert.Equal(training.Training.BestMetrics.MeanAveragePrecision.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture), await page.Locator("#best-map").TextContentAsync());
        Assert.True(await page.Locator("#curve circle.map").CountAsync() >= 3, "an evaluation every 10 iterations draws at least 3 mAP points");
        await Assertions.Expect(page.Locator("#model")).ToContainTextAsync($"version {training.Model.Version}");
        await Assertions.Expect(page.Locator("#detections")).ToContainTextAsync($"{training.Detection.DetectionCount} in {training.Detection.BatchCount} of {training.Detection.BatchCount} batches");
        await Assertions.Expect(page.Locator("#hyperparameters")).ToContainTextAsync("iterations 30");
        Assert.True(await page.Locator("#retry").IsDisabledAsync(), "a completed training has nothing to retry");
        Assert.True(await page.Locator("#replay").IsHiddenAsync(), "Replay shows for a Failed training only");
        // The mAP of what was exported, beside the evaluation's.
        await Assertions.Expect(page.Locator("#exported-map")).ToHaveTextAsync(
            training.Detection.ExportedMeanAveragePrecision!.Value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture));
        // Its test images, kept in the export after cleanup dropped the dataset, with the ground truth and detections drawn.
        var samples = (await Pipeline.Api.GetFromJsonAsync<DetectionSamples>($"/trainings/{trainingId}/samples", ApiJson.Options))!;
        Assert.Equal(4, samples.Images.Count);
        await Assertions.Expect(page.Locator("#samples figure")).ToHaveCountAsync(samples.Images.Count);
        var first = samples.Images[0];
        var drawn = page.Locator($"#samples svg[data-image='{first.ImageId}']");
        await Assertions.Expect(drawn.Locator("image")).ToHaveCountAsync(1);
        Assert.Equal(first.GroundTruth.Count, await drawn.Locator("rect.truth").CountAsync());
        Assert.Equal(first.Detections.Boxes.Count, await drawn.Locator("rect.found").CountAsync());
        Assert.StartsWith("blob:", await drawn.Locator("image").GetAttributeAsync("href"));
        using (var picture = await Pipeline.Api.GetAsync($"/trainings/{trainingId}/samples/{first.File}"))
        {
            Assert.Equal(("image/png", HttpStatusCode.OK), (picture.Content.Headers.ContentType?.MediaType, picture.StatusCode));
        }

        using (var unlisted = await Pipeline.Api.GetAsync($"/trainings/{trainingId}/samples/..%2Fdetections.coco.json"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unlisted.StatusCode);
        }

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotFolder, "training-completed.png"), FullPage = true });

        await page.ClickAsync("nav a[href='#/models']");
        var row = page.Locator($"#models tr[data-model='{training.Model.ModelId}']");
        await Assertions.Expect(row).ToContainTextAsync(project);
        await Assertions.Expect(row).ToContainTextAsync("iterations 30");
        await Assertions.Expect(row.Locator("td.current")).ToHaveTextAsync("current");
        await Assertions.Expect(row.Locator("td.promotion")).ToContainTextAsync("promoted: the first model of");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotFolder, "models.png"), FullPage = true });

        await page.ClickAsync("nav a[href='#/queues']");
        await Assertions.Expect(page.Locator($"#queues tr[data-queue='{StageQueues.TrainModel}'] td").Nth(2)).ToHaveTextAsync("1");
        Assert.Equal(StageQueues.All.Count, await page.Locator("#queues tbody tr").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotFolder, "queues.png"), FullPage = true });
    }

    private Task LogInAsync(string token, string route) => Chromium.LogInAsync(page, Pipeline.Api.BaseAddress!, token, route);

    private async Task<int> PointsAsync(int atLeast)
    {
        await page.WaitForFunctionAsync($"() => Number(document.querySelector('#curve')?.dataset.points ?? 0) >= {atLeast}", null,
            new PageWaitForFunctionOptions { Timeout = Wait });
        return int.Parse((await page.Locator("#curve").GetAttributeAsync("data-points"))!);
    }

    private async Task<Guid> BeginOverHttpAsync(string project, int iterations, Action<string>? alter = null)
    {
        var dataset = Path.Combine(Pipeline.WorkFolder, project);
        ShapesDataset.Generate(dataset, new ShapesDatasetOptions { TrainImages = 16, TestImages = 4, Size = 64, MinShapeSize = 8, MaxShapeSize = 24 });
        alter?.Invoke(dataset);
        var body = JsonSerializer.Serialize(new
        {
            organization = "e2e", project, datasetUri = new Uri(Path.Combine(dataset, "manifest.json")).AbsoluteUri,
            hyperparameters = new { iterations, resolution = 64, batchSize = 8 },
        });
        using var response = await Pipeline.Api.PostAsync("/trainings", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("trainingId").GetGuid();
    }

    private async Task<TrainingDetails> DetailsAsync(Guid trainingId) =>
        (await Pipeline.Api.GetFromJsonAsync<TrainingDetails>($"/trainings/{trainingId}", ApiJson.Options))!;
}
