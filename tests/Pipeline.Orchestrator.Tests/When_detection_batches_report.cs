using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_detection_batches_report : SagaTest
{
    [Fact]
    public async Task A_duplicate_batch_counts_once_and_the_stage_waits_for_every_batch()
    {
        await WalkTo(nameof(TrainingStateMachine.Detecting));

        await ImagesDetected(0, detections: 5);
        await ImagesDetected(0, detections: 5);
        await ImagesDetected(2, detections: 1);
        await ConsumedCount<ImagesDetected>(3);

        Assert.Equal("Detecting", Training.CurrentState);
        Assert.Equal([0, 2], Training.DetectedBatches.Keys);
        Assert.Equal(6, Training.DetectionCount);
        Assert.Equal(0, await SentCountOnceQuiet<UploadDetections>(attempt: 1));
    }

    [Fact]
    public async Task The_last_batch_moves_on_and_UploadDetections_lists_every_batch_in_order()
    {
        await WalkTo(nameof(TrainingStateMachine.Detecting));

        await ImagesDetected(2);
        await ImagesDetected(0);
        await ImagesDetected(1);

        var training = await WaitForState(m => m.DetectionUploading);
        var upload = await Sent<UploadDetections>(attempt: 1);
        Assert.Equal(
            ["trainings/x/detections/batch-00000.json", "trainings/x/detections/batch-00001.json", "trainings/x/detections/batch-00002.json"],
            upload.DetectionKeys);
        Assert.Equal(ModelId, upload.ModelId);
        Assert.Contains(training.History, t => t is { From: "Detecting", To: "Detected" });
        Assert.Contains(training.History, t => t is { From: "Detected", To: "DetectionUploading" });
    }

    [Fact]
    public async Task A_batch_of_an_older_attempt_or_an_unknown_index_is_not_counted()
    {
        await WalkTo(nameof(TrainingStateMachine.Detecting));

        await ImagesDetected(0, attempt: 7);
        await ImagesDetected(9);
        await ConsumedCount<ImagesDetected>(2);

        Assert.Empty(Training.DetectedBatches);
    }
}
