using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_a_result_of_an_old_attempt_arrives : SagaTest
{
    private async Task RetryTrainingRunning()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));
        await FaultStage(nameof(TrainingStateMachine.TrainingRunning), attempt: 1, error: "lost the GPU");
        await WaitForState(m => m.Failed);
        await Send(new RetryTraining { TrainingId = TrainingId });
        await Sent<TrainModel>(attempt: 2);
    }

    [Fact]
    public async Task A_late_ModelTrained_of_attempt_1_is_ignored()
    {
        await RetryTrainingRunning();

        await ModelTrained(attempt: 1);
        await ConsumedCount<ModelTrained>(1);

        Assert.Equal(("TrainingRunning", 2), (Training.CurrentState, Training.Attempt));
        Assert.Equal(0, await SentCountOnceQuiet<UploadModel>(attempt: 1));
    }

    [Fact]
    public async Task A_late_fault_of_attempt_1_does_not_fail_attempt_2()
    {
        await RetryTrainingRunning();

        await FaultStage(nameof(TrainingStateMachine.TrainingRunning), attempt: 1, error: "a second copy of the old fault");
        await ConsumedCount<MassTransit.Fault<TrainModel>>(2);

        Assert.Equal("TrainingRunning", Training.CurrentState);
    }

    [Fact]
    public async Task Late_progress_of_attempt_1_is_not_recorded()
    {
        await RetryTrainingRunning();

        await Publish(new TrainingProgressed { TrainingId = TrainingId, Attempt = 1, Iteration = 999, TotalIterations = 1500 });
        await ConsumedCount<TrainingProgressed>(1);

        Assert.Null(Training.Progress);
    }
}
