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
    public async Task A_retried_detection_sends_every_batch_again_and_forgets_the_old_reports()
    {
        await WalkTo(nameof(TrainingStateMachine.Detecting));
        await ImagesDetected(0);
        await FaultStage(nameof(TrainingStateMachine.Detecting), attempt: 1, error: "detector died");
        await WaitForState(m => m.Failed);

        await Send(new RetryTraining { TrainingId = TrainingId });

        await Eventually(() => SentCount<DetectImages>(attempt: 2) == 3, "Every batch must be sent again with attempt 2.");
        Assert.Empty(Training.DetectedBatches);
        Assert.Equal("Detecting", Training.CurrentState);
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
