using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Pipeline.Contracts;
using MassTransit;
using Pipeline.Integration.Tests.Dashboard;
using Pipeline.Artifacts;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>
/// A stage fails for a real reason — a file stands where the Uploader must create the training's export folder —
/// the training shows Failed there with the reason; once the file is gone, `pipeline replay` or `pipeline retry`
/// (or the status API's replay, or the training page's Replay) brings it to Completed, with nothing lost and nothing
/// done twice.
/// </summary>
[Collection(RunningPipelineCollection.Name)]
public sealed class When_a_failed_stage_is_replayed_or_retried(RunningPipelineFixture pipeline)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Replaying_the_error_queue_completes_the_training()
    {
        var errorQueue = $"{StageQueues.UploadDetections}_error";
        var failedBefore = (await pipeline.Infrastructure.QueueCountsAsync(errorQueue))?.Messages ?? 0;
        var (trainingId, blocker) = await FailAtDetectionUploading();
        File.Delete(blocker);
        // The Fault can reach the saga before the command itself is in the _error queue: replay once it is there.
        await RunningPipelineFixture.WaitUntil("the failed command is in upload-detections_error",
            async () => (await pipeline.Infrastructure.QueueCountsAsync(errorQueue))?.Messages > failedBefore, Timeout);

        var (exitCode, output) = await PipelineCommand.RunAsync(pipeline, "replay", StageQueues.UploadDetections, "--training", trainingId.ToString());

        Assert.True(exitCode == 0, output);
        Assert.Contains("Moved 1", output, StringComparison.OrdinalIgnoreCase);
        await AssertCompletedOnce(trainingId, attempt: 1);
    }

    [Fact]
    public async Task Replay_over_http_moves_the_failed_command_back_and_the_training_completes_then_replay_is_refused()
    {
        using var unknown = await pipeline.Api.PostAsync($"/trainings/{Guid.NewGuid()}/replay", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var (trainingId, blocker) = await FailAtDetectionUploadingWithItsCommandInTheErrorQueue();
        using var withoutToken = await new HttpClient { BaseAddress = pipeline.Api.BaseAddress }.PostAsync($"/trainings/{trainingId}/replay", null);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutToken.StatusCode);
        File.Delete(blocker);

        using var replayed = await pipeline.Api.PostAsync($"/trainings/{trainingId}/replay", null);

        Assert.Equal(HttpStatusCode.Accepted, replayed.StatusCode);
        var answer = await replayed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((1, StageQueues.UploadDetections), (answer.GetProperty("moved").GetInt32(), answer.GetProperty("queue").GetString()));
        await AssertCompletedOnce(trainingId, attempt: 1);
        using var again = await pipeline.Api.PostAsync($"/trainings/{trainingId}/replay", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("only a Failed training's stage is replayed", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Replay_over_http_of_a_failed_training_whose_error_queue_holds_nothing_of_it_is_refused()
    {
        var (trainingId, blocker) = await FailAtDetectionUploadingWithItsCommandInTheErrorQueue();
        // Its command leaves the error queue another way (as if replayed already): nothing is left to move.
        await pipeline.Infrastructure.PurgeAsync($"{StageQueues.UploadDetections}_error");
        File.Delete(blocker);

        using var refused = await pipeline.Api.PostAsync($"/trainings/{trainingId}/replay", null);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains($"Nothing of training {trainingId} waits in {StageQueues.UploadDetections}_error", await refused.Content.ReadAsStringAsync());
        Assert.Equal("Failed", (await pipeline.WaitForStateAsync(trainingId, Timeout, "Failed")).State);
    }

    [Fact]
    public async Task Replay_from_the_training_page_completes_a_training_failed_at_DetectionUploading()
    {
        var (trainingId, blocker) = await FailAtDetectionUploadingWithItsCommandInTheErrorQueue();
        File.Delete(blocker);
        await using var chromium = await Chromium.StartAsync();
        var page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1000 } });
        page.SetDefaultTimeout((float)Timeout.TotalMilliseconds);

        await Chromium.LogInAsync(page, pipeline.Api.BaseAddress!, pipeline.ActionToken, $"#/trainings/{trainingId}");
        await Assertions.Expect(page.Locator("h2 .state")).ToHaveTextAsync("Failed", new() { Timeout = (float)Timeout.TotalMilliseconds });
        await Assertions.Expect(page.Locator("#replay")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Chromium.ScreenshotFolder, "training-failed.png"), FullPage = true });
        await page.ClickAsync("#replay");

        await Assertions.Expect(page.Locator("#action-message")).ToHaveTextAsync(
            $"replay sent: 1 message(s) moved back to {StageQueues.UploadDetections}", new() { Timeout = (float)Timeout.TotalMilliseconds });
        await Assertions.Expect(page.Locator("h2 .state")).ToHaveTextAsync("Completed", new() { Timeout = (float)Timeout.TotalMilliseconds });
        await Assertions.Expect(page.Locator("#replay")).ToBeHiddenAsync();
        await AssertCompletedOnce(trainingId, attempt: 1);
    }

    [Fact]
    public async Task Retrying_the_training_completes_it_with_the_next_attempt()
    {
        var (trainingId, blocker) = await FailAtDetectionUploading();
        File.Delete(blocker);

        var (exitCode, output) = await PipelineCommand.RunAsync(pipeline, "retry", trainingId.ToString());

        Assert.True(exitCode == 0, output);
        await AssertCompletedOnce(trainingId, attempt: 2);
    }

    private async Task<(Guid TrainingId, string Blocker)> FailAtDetectionUploading()
    {
        var trainingId = NewId.NextGuid();
        var exportFolder = pipeline.Artifacts.GetLocalPath(Path.GetDirectoryName(ArtifactKeys.DetectionExport(trainingId))!);
        Directory.CreateDirectory(Path.GetDirectoryName(exportFolder)!);
        File.WriteAllText(exportFolder, "a file where the Uploader needs a folder");
        var dataset = new Uri(TestDatasets.Write(Path.Combine(pipeline.WorkFolder, $"recover-{trainingId:N}"))).AbsoluteUri;

        await pipeline.BeginAsync(dataset, o => o.TrainingId = trainingId);
        var training = await pipeline.WaitForStateAsync(trainingId, Timeout, "Failed", "Completed");

        Assert.Equal(("Failed", "DetectionUploading"), (training.State, training.FailedStage));
        Assert.Contains(Path.GetFileName(exportFolder), training.Errors["DetectionUploading"]);
        return (trainingId, exportFolder);
    }

    private async Task<(Guid TrainingId, string Blocker)> FailAtDetectionUploadingWithItsCommandInTheErrorQueue()
    {
        var errorQueue = $"{StageQueues.UploadDetections}_error";
        var failedBefore = (await pipeline.Infrastructure.QueueCountsAsync(errorQueue))?.Messages ?? 0;
        var failed = await FailAtDetectionUploading();
        // The Fault can reach the saga before the command itself is in the _error queue.
        await RunningPipelineFixture.WaitUntil("the failed command is in upload-detections_error",
            async () => (await pipeline.Infrastructure.QueueCountsAsync(errorQueue))?.Messages > failedBefore, Timeout);
        return failed;
    }

    private async Task AssertCompletedOnce(Guid trainingId, int attempt)
    {
        var training = await pipeline.WaitForStateAsync(trainingId, Timeout, "Completed");
        Assert.Equal(attempt, training.Attempt);
        Assert.Single(training.History, t => t.To == "Completed");
        Assert.Single(training.History, t => t.From == "Failed" && t.To == "DetectionUploading");
        Assert.Empty(training.Errors.Keys.Except(["DetectionUploading"]));
        Assert.True(pipeline.Artifacts.Exists(ArtifactKeys.DetectionExport(trainingId)));
        Assert.Equal(0, (await pipeline.Infrastructure.QueueCountsAsync(StageQueues.UploadDetections))?.Messages ?? 0);
    }
}
