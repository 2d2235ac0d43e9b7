using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

/// <summary>
/// <c>pipeline replay</c> moves a faulted command from its _error queue back to its queue; the worker then answers
/// with the attempt that failed, and the training goes on from the stage it failed in.
/// </summary>
public sealed class When_a_failed_stage_is_replayed : SagaTest
{
    [Fact]
    public async Task The_answer_to_the_failed_attempt_takes_the_training_on_to_Completed()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainModelUploading));
        await FaultStage(nameof(TrainingStateMachine.TrainModelUploading), attempt: 1, error: "registry folder not writable");
        await WaitForState(m => m.Failed);

        await ModelUploaded(attempt: 1);

        await DetectToCompletion();
        Assert.Contains(Training.History, t => t.From == "Failed" && t.To == "TrainModelUploading");
    }

    [Fact]
    public async Task A_replayed_detection_batch_completes_the_fan_in()
    {
        await WalkTo(nameof(TrainingStateMachine.Detecting));
        await ImagesDetected(0);
        await ImagesDetected(1);
        await FaultStage(nameof(TrainingStateMachine.Detecting), attempt: 1, error: "batch 2 failed");
        await WaitForState(m => m.Failed);

        await ImagesDetected(2);

        await WaitForState(m => m.DetectionUploading);
        Assert.Equal(3, Training.DetectedBatches.Count);
    }

    [Fact]
    public async Task An_answer_for_another_stage_leaves_the_training_Failed()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainModelUploading));
        await FaultStage(nameof(TrainingStateMachine.TrainModelUploading), attempt: 1, error: "registry folder not writable");
        await WaitForState(m => m.Failed);

        await DataDownloaded(attempt: 1);
        await ConsumedCount<TrainingDataDownloaded>(2);

        Assert.Equal(("Failed", "TrainModelUploading"), (Training.CurrentState, Training.FailedStage));
    }

    [Fact]
    public async Task A_replayed_command_that_faults_again_keeps_the_training_Failed_at_its_stage()
    {
        await WalkTo(nameof(TrainingStateMachine.DataDownloading));
        await FaultStage(nameof(TrainingStateMachine.DataDownloading), attempt: 1, error: "first");
        await WaitForState(m => m.Failed);

        await FaultStage(nameof(TrainingStateMachine.DataDownloading), attempt: 1, error: "second");
        await ConsumedCount<MassTransit.Fault<DownloadTrainingData>>(2);

        Assert.Equal(("Failed", "DataDownloading", "first"), (Training.CurrentState, Training.FailedStage, Training.Errors["DataDownloading"]));
    }
}
