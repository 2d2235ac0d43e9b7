using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_a_failed_training_outlives_its_retention : SagaTest
{
    private Task Expired() => Send(new FailedTrainingExpired { TrainingId = TrainingId });

    /// <summary>How many cleanups were published once the harness is quiet.</summary>
    private async Task<int> CleanupsPublished()
    {
        await Quiet();
        return Harness.Published.Select<TrainingReadyForCleanup>(x => x.Context.Message.TrainingId == TrainingId, WithoutWaiting).Count();
    }

    [Fact]
    public async Task Its_scratch_is_dropped_once_and_only_after_the_retention()
    {
        await WalkTo(TrainingStates.TrainingRunning);
        await FaultStage(TrainingStates.TrainingRunning, attempt: 1, error: "out of range");
        await WaitForState(m => m.Failed);

        Clock.Advance(new StageSettings().FailedRetention - TimeSpan.FromMinutes(1));
        await Expired();
        await ConsumedCount<FailedTrainingExpired>(1);
        Assert.Equal(0, await CleanupsPublished());

        Clock.Advance(TimeSpan.FromMinutes(2));
        await Expired();
        await Expired();
        await ConsumedCount<FailedTrainingExpired>(3);

        await Published<TrainingReadyForCleanup>(x => x.TrainingId == TrainingId);
        Assert.Equal(1, await CleanupsPublished());
        Assert.Equal((TrainingState.FailedStateName, TrainingStates.TrainingRunning), (Training.CurrentState, Training.FailedStage));
        Assert.NotNull(Training.ScratchDroppedAt);
    }

    [Fact]
    public async Task A_retry_after_its_scratch_is_dropped_is_refused_and_sends_nothing()
    {
        await WalkTo(TrainingStates.TrainingRunning);
        await FaultStage(TrainingStates.TrainingRunning, attempt: 1, error: "out of range");
        await WaitForState(m => m.Failed);
        Clock.Advance(new StageSettings().FailedRetention + TimeSpan.FromMinutes(1));
        await Expired();
        await Published<TrainingReadyForCleanup>(x => x.TrainingId == TrainingId);

        // The workers acknowledge an ended training's commands without running them: a retry could only wait for ever.
        await Send(new RetryTraining { TrainingId = TrainingId });
        await ConsumedCount<RetryTraining>(1);

        Assert.Equal(0, await SentCountOnceQuiet<TrainModel>(attempt: 2));
        Assert.Equal((TrainingState.FailedStateName, 1), (Training.CurrentState, Training.Attempt));
    }
}
