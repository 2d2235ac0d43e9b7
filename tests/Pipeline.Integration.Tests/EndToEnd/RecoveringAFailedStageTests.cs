using Pipeline.Contracts;
using MassTransit;
using Pipeline.Hosting.Artifacts;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>
/// A stage fails for a real reason — a file stands where the Uploader must create the training's export folder —
/// the training shows Failed there with the reason; once the file is gone, `pipeline replay` or `pipeline retry`
/// brings it to Completed, with nothing lost and nothing done twice.
/// </summary>
[Collection(RunningPipelineCollection.Name)]
public sealed class RecoveringAFailedStageTests(RunningPipelineFixture pipeline)
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
