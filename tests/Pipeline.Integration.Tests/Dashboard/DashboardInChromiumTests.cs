using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Integration.Tests.EndToEnd;

namespace Pipeline.Integration.Tests.Dashboard;

/// <summary>
/// The dashboard in a real Chromium against all five services: what a user sees of a training begun over HTTP while the
/// real Trainer trains it, what they can do from the page, and what a finished training shows.
/// </summary>
[Collection(AllServicesPipelineCollection.Name)]
public sealed class DashboardInChromiumTests(AllServicesPipelineFixture fixture) : IAsyncLifetime
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
    public async Task A_training_begun_over_http_appears_its_curve_grows_a_wrong_token_is_refused_and_cancel_from_the_page_cancels_it()
    {
        var project = $"dash-live-{Guid.NewGuid():N}"[..20];
        var trainingId = await BeginOverHttpAsync(project, iterations: 2000);

        await page.GotoAsync($"{Pipeline.Api.BaseAddress}#/?project={project}");
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live");
        await Assertions.Expect(page.Locator($"#trainings tr[data-id='{trainingId}']")).ToBeVisibleAsync();
        await page.ClickAsync($"#trainings tr[data-id='{trainingId}'] a");
        await Assertions.Expect(page.Locator("#stages li[data-stage='TrainingRunning']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("running"));

        // Pushed over /events, not reloaded: the curve's points grow while the page stays.
        var first = await PointsAsync(atLeast: 2);
        var later = await PointsAsync(atLeast: first + 3);
        Assert.True(later > first, $"{first} points, then {later}");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotFolder, "training-running.png"), FullPage = true });

        await page.FillAsync("#token", "not-the-token");
        await page.ClickAsync("#cancel");
        await Assertions.Expect(page.Locator("#action-message")).ToContainTextAsync("401");
        Assert.Equal("TrainingRunning", (await DetailsAsync(trainingId)).State);

        await page.FillAsync("#token", Pipeline.ActionToken);
        await page.ClickAsync("#cancel");
        await Assertions.Expect(page.Locator("h2 .state")).ToHaveTextAsync("Cancelled");
        Assert.Equal("Cancelled", (await Pipeline.WaitForStateAsync(trainingId, Timeout, "Cancelled")).State);
        await Assertions.Expect(page.Locator("#cancel")).ToBeDisabledAsync();
    }

    [Fact]
    public async Task A_completed_training_shows_its_stages_curve_confusion_matrix_model_and_detections_and_the_models_and_queues_pages_list_them()
    {
        var project = $"dash-done-{Guid.NewGuid():N}"[..20];
        var trainingId = await BeginOverHttpAsync(project, iterations: 30);
        var training = await Pipeline.WaitForStateAsync(trainingId, Timeout, "Completed", "Failed", "Cancelled");
        Assert.Equal("Completed", training.State);

        await page.GotoAsync($"{Pipeline.Api.BaseAddress}#/trainings/{trainingId}");
        await Assertions.Expect(page.Locator("h2 .state")).ToHaveTextAsync("Completed");
        Assert.Equal(5, await page.Locator("#stages li.done").CountAsync());
        Assert.Equal(1, await page.Locator("#stages li.skipped").CountAsync());
        var categories = training.Training.BestMetrics!.Categories;
        Assert.Equal(categories.Count, await page.Locator("#confusion tbody tr").CountAsync());
        var circle = categories.First();
        Assert.Equal(circle.TruePositives.ToString(), await page.Locator($"#confusion tr[data-category='{circle.CategoryId}'] td").Nth(1).TextContentAsync());
        Assert.Equal(training.Training.BestMetrics.MeanAveragePrecision.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture), await page.Locator("#best-map").TextContentAsync());
        Assert.True(await page.Locator("#curve circle.map").CountAsync() >= 3, "an evaluation every 10 iterations draws at least 3 mAP points");
        await Assertions.Expect(page.Locator("#model")).ToContainTextAsync($"version {training.Model.Version}");
        await Assertions.Expect(page.Locator("#detections")).ToContainTextAsync($"{training.Detection.DetectionCount} in {training.Detection.BatchCount} of {training.Detection.BatchCount} batches");
        await Assertions.Expect(page.Locator("#hyperparameters")).ToContainTextAsync("iterations 30");
        Assert.True(await page.Locator("#retry").IsDisabledAsync(), "a completed training has nothing to retry");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotFolder, "training-completed.png"), FullPage = true });

        await page.ClickAsync("nav a[href='#/models']");
        var row = page.Locator($"#models tr[data-model='{training.Model.ModelId}']");
        await Assertions.Expect(row).ToContainTextAsync(project);
        await Assertions.Expect(row).ToContainTextAsync("iterations 30");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotFolder, "models.png"), FullPage = true });

        await page.ClickAsync("nav a[href='#/queues']");
        await Assertions.Expect(page.Locator($"#queues tr[data-queue='{StageQueues.TrainModel}'] td").Nth(2)).ToHaveTextAsync("1");
        Assert.Equal(StageQueues.All.Count, await page.Locator("#queues tbody tr").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotFolder, "queues.png"), FullPage = true });
    }

    private async Task<int> PointsAsync(int atLeast)
    {
        await page.WaitForFunctionAsync($"() => Number(document.querySelector('#curve')?.dataset.points ?? 0) >= {atLeast}", null,
            new PageWaitForFunctionOptions { Timeout = Wait });
        return int.Parse((await page.Locator("#curve").GetAttributeAsync("data-points"))!);
    }

    private async Task<Guid> BeginOverHttpAsync(string project, int iterations)
    {
        var dataset = Path.Combine(Pipeline.WorkFolder, project);
        ShapesDataset.Generate(dataset, new ShapesDatasetOptions { TrainImages = 16, TestImages = 4, Size = 64, MinShapeSize = 8, MaxShapeSize = 24 });
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
