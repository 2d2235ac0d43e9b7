using Pipeline.Contracts;
using Pipeline.Cli.StatusApi;
using Pipeline.Cli.Watching;

namespace Pipeline.Cli.Tests;

public sealed class StatusApiTests
{
    private static string Training(Guid id, string state, string? failedStage = null, string errors = "{}") => $$"""
        {
          "id": "{{id}}", "organization": "local", "project": "shapes", "trainingNumber": 0, "state": "{{state}}", "attempt": 1,
          "failedStage": {{(failedStage is null ? "null" : $"\"{failedStage}\"")}}, "errors": {{errors}}, "stageDeadline": null,
          "dataset": { "uri": "file:///data/manifest.json", "key": "trainings/x/dataset",
                       "categories": [ { "id": "1", "name": "circle", "type": "Box" } ],
                       "trainImageCount": 40, "testImageCount": 10, "detectionImageCount": 50, "skippedImageCount": 0 },
          "training": { "baseModelId": null,
                        "progress": { "iteration": 300, "totalIterations": 300, "loss": 0.25, "imagesPerSecond": 80.5,
                                      "estimatedTimeLeft": "00:00:00", "at": "2025-01-01T10:03:00+00:00" },
                        "bestMetrics": { "iteration": 300, "loss": 0.25, "meanAveragePrecision": 0.8125,
                                         "categories": [ { "categoryId": "1", "categoryName": "circle", "truePositives": 9,
                                                           "falsePositives": 2, "falseNegatives": 1, "averagePrecision": 0.8125 } ] },
                        "trainedModelKey": "trainings/x/model" },
          "model": { "modelId": "6f1c5a52-5a1b-4d5e-9b43-0a6c2f1e9d11", "version": 3, "modelKey": "models/6f1c" },
          "detection": { "detectOn": "AllImages", "batchCount": 4, "batchesDetected": 4, "detectionCount": 123,
                         "exportKey": "exports/x/detections.coco.json" },
          "history": [
            { "from": "Initial", "to": "Initialized", "at": "2025-01-01T10:00:00+00:00", "attempt": 0, "error": null },
            { "from": "Initialized", "to": "DataDownloading", "at": "2025-01-01T10:00:00+00:00", "attempt": 1, "error": null },
            { "from": "DataDownloading", "to": "DataDownloaded", "at": "2025-01-01T10:00:05+00:00", "attempt": 1, "error": null },
            { "from": "DataDownloaded", "to": "TrainingRunning", "at": "2025-01-01T10:00:05+00:00", "attempt": 1, "error": null },
            { "from": "TrainingRunning", "to": "{{(state == "Failed" ? "Failed" : "TrainingFinished")}}", "at": "2025-01-01T10:03:05+00:00", "attempt": 1, "error": null }
          ],
          "createdAt": "2025-01-01T10:00:00+00:00", "updatedAt": "2025-01-01T10:03:05+00:00"
        }
        """;

    [Fact]
    public async Task An_unknown_training_is_reported_as_no_training_with_its_id()
    {
        using var api = new FakeStatusApi([]);
        var id = Guid.NewGuid();

        var (exitCode, output) = await CliRun.RunAsync(null, "show", id.ToString(), "--api", api.Url);

        Assert.Equal(ExitCodes.NotFound, exitCode);
        Assert.Contains($"no training {id}", output);
    }

    [Fact]
    public async Task Show_prints_the_confusion_matrix_the_model_and_the_detections()
    {
        var id = Guid.NewGuid();
        using var api = new FakeStatusApi(new() { [$"trainings/{id}"] = Training(id, "Completed") });

        var (exitCode, output) = await CliRun.RunAsync(null, "show", id.ToString(), "--api", api.Url);

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains("circle", output);
        Assert.Contains("0.813", output);
        Assert.Contains("6f1c5a52-5a1b-4d5e-9b43-0a6c2f1e9d11", output);
        Assert.Contains("detections: 123", output);
        Assert.Contains("3m00s", output); // time in TrainingRunning
    }

    [Theory]
    [InlineData("Completed", ExitCodes.Ok)]
    [InlineData("Failed", ExitCodes.TrainingFailed)]
    [InlineData("Cancelled", ExitCodes.TrainingCancelled)]
    public async Task Watch_ends_with_an_exit_code_per_outcome(string state, int expected)
    {
        var id = Guid.NewGuid();
        var body = state == "Failed"
            ? Training(id, state, "TrainingRunning", """{ "TrainingRunning": "out of memory" }""")
            : Training(id, state);
        using var api = new FakeStatusApi(new() { [$"trainings/{id}"] = body });

        var (exitCode, output) = await CliRun.RunAsync(null, "watch", id.ToString(), "--api", api.Url);

        Assert.Equal(expected, exitCode);
        Assert.Contains($"Training {id} {state}", output);
        if (state == "Failed")
        {
            Assert.Contains("out of memory", output);
        }
    }

    [Fact]
    public void Stages_describe_a_running_training_with_its_progress()
    {
        var training = new TrainingDetails
        {
            Id = Guid.NewGuid(), Organization = "org", Project = "project", State = "TrainingRunning", Errors = new Dictionary<string, string>(),
            Dataset = new DatasetStatus("file:///data", null, [], 10, 2, 12, 0),
            Training = new TrainingRunStatus(null, new TrainingProgress { Iteration = 120, TotalIterations = 300, Loss = 0.5, EstimatedTimeLeft = TimeSpan.FromSeconds(90) }, null, null),
            Model = new ModelStatus(null, null, null),
            Detection = new DetectionStatus(DetectionScope.AllImages, 0, 0, 0, null),
            History =
            [
                new StateTransition { From = "Initialized", To = "DataDownloading", At = DateTimeOffset.UnixEpoch },
                new StateTransition { From = "DataDownloading", To = "DataDownloaded", At = DateTimeOffset.UnixEpoch.AddSeconds(2) },
                new StateTransition { From = "DataDownloaded", To = "TrainingRunning", At = DateTimeOffset.UnixEpoch.AddSeconds(2) },
            ],
        };

        var lines = StageLines.Describe(training, DateTimeOffset.UnixEpoch.AddSeconds(12));

        Assert.Equal(["download data", "train", "upload model", "detect", "upload detections"], lines.Select(line => line.Name));
        Assert.Equal(StageStatus.Done, lines[0].Status);
        Assert.Equal(TimeSpan.FromSeconds(2), lines[0].Duration);
        Assert.Equal(StageStatus.Running, lines[1].Status);
        Assert.Equal("iteration 120/300, loss 0.5000, 1m30s left", lines[1].Detail);
        Assert.Equal(TimeSpan.FromSeconds(10), lines[1].Duration);
        Assert.Equal(StageStatus.Pending, lines[2].Status);
    }
}
