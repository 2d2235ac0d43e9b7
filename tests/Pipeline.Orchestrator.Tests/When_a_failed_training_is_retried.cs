using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_a_failed_training_is_retried : SagaTest
{
    [Theory]
    [MemberData(nameof(StagesWithWorker))]
    public async Task It_goes_back_to_the_failed_stage_and_sends_it_with_attempt_2(string stage)
    {
        await WalkTo(stage);
        await FaultStage(stage, attempt: 1, error: "worker crashed");
        await WaitForState(m => m.Failed);

        await Send(new RetryTraining { TrainingId = TrainingId });

        await Eventually(() => Training.CurrentState == stage, $"The training never went back to {stage}.");
        await Eventually(() => SentForStage(stage, attempt: 2) > 0, $"{stage} was never sent with attempt 2.");
        Assert.Equal(2, Training.Attempt);
        Assert.Equal("worker crashed", Training.Errors[stage]);
        Assert.Contains(Training.History, t => t.From == "Failed" && t.To == stage && t.Attempt == 2);
    }

    [Fact]
    public async Task The_retried_stage_answers_with_attempt_2_and_the_training_completes()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));
        await FaultStage(nameof(TrainingStateMachine.TrainingRunning), attempt: 1, error: "out of memory");
        await WaitForState(m => m.Failed);
        await Send(new RetryTraining { TrainingId = TrainingId });
        await Sent<TrainModel>(attempt: 2);

        await ModelTrained(attempt: 2);
        await WaitForState(m => m.TrainModelUploading);
        await ModelUploaded();

        await DetectToCompletion();
    }

    [Fact]
    public async Task A_retried_detection_sends_only_the_batches_that_never_reported()
    {
        await WalkTo(nameof(TrainingStateMachine.Detecting));
        await ImagesDetected(0);
        await FaultStage(nameof(TrainingStateMachine.Detecting), attempt: 1, error: "detector died");
        await WaitForState(m => m.Failed);

        await Send(new RetryTraining { TrainingId = TrainingId });

        await Eventually(() => SentCount<DetectImages>(attempt: 2) == 2, "The two batches that never reported must be sent again with attempt 2.");
        await Quiet();
        Assert.Equal([1, 2], Harness.Sent.Select<DetectImages>(x => x.Context.Message.Attempt == 2 && x.Context.Message.TrainingId == TrainingId, WithoutWaiting)
            .Select(x => x.Context.Message.BatchIndex).Order());
        Assert.Equal([0], Training.DetectedBatches.Keys);
        Assert.Equal("Detecting", Training.CurrentState);
    }

    [Fact]
    public async Task A_faulting_batch_fails_the_attempt_once_and_the_other_reports_do_not_bring_it_back()
    {
        await WalkTo(nameof(TrainingStateMachine.Detecting));
        var bad = await Sent<DetectImages>(attempt: 1, batch => batch.BatchIndex == 1);
        await Fault(bad, "this batch always fails");
        await WaitForState(m => m.Failed);

        await ImagesDetected(0);
        await ImagesDetected(2);
        await ConsumedCount<ImagesDetected>(2);

        Assert.Equal((TrainingState.FailedStateName, 1), (Training.CurrentState, Training.Attempt));
        Assert.Equal([0, 2], Training.DetectedBatches.Keys);
        Assert.Single(Training.History, t => t.To == TrainingState.FailedStateName);
        Assert.Null(Training.StageDeadline);

        // The failed batch replayed from its _error queue answers the failed attempt: detection is complete.
        await ImagesDetected(1);
        await WaitForState(m => m.DetectionUploading);
    }

    [Fact]
    public async Task RetryTraining_outside_Failed_is_ignored()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));

        await Send(new RetryTraining { TrainingId = TrainingId });
        await ConsumedCount<RetryTraining>(1);

        Assert.Equal(("TrainingRunning", 1), (Training.CurrentState, Training.Attempt));
    }
}
