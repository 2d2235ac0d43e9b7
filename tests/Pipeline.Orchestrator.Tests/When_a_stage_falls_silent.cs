using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_a_stage_falls_silent : SagaTest
{
    private Task TimedOut(string stage, int attempt) =>
        Send(new StageTimedOut { TrainingId = TrainingId, Attempt = attempt, Stage = stage });

    [Theory]
    [MemberData(nameof(StagesWithWorker))]
    public async Task The_watchdog_finding_sends_the_stage_again_with_the_next_attempt(string stage)
    {
        await WalkTo(stage);
        var firstDeadline = Training.StageDeadline;

        await TimedOut(stage, attempt: 1);

        await Eventually(() => SentForStage(stage, attempt: 2) > 0, $"{stage} was never sent again with attempt 2.");
        Assert.Equal((stage, 2, 1), (Training.CurrentState, Training.Attempt, Training.SilentDispatches));
        Assert.True(Training.StageDeadline >= firstDeadline);
    }

    [Fact]
    public async Task A_finding_for_an_old_attempt_or_another_stage_is_ignored()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));

        await TimedOut(nameof(TrainingStateMachine.TrainingRunning), attempt: 5);
        await TimedOut(nameof(TrainingStateMachine.DataDownloading), attempt: 1);
        await ConsumedCount<StageTimedOut>(2);

        Assert.Equal(1, Training.Attempt);
        Assert.Equal(0, SentCount<TrainModel>(attempt: 2));
    }

    [Fact]
    public async Task After_max_attempts_without_an_answer_the_training_fails_at_the_stage()
    {
        await WalkTo(nameof(TrainingStateMachine.DataDownloading));

        for (var attempt = 1; attempt < MaxAttempts; attempt++)
        {
            await TimedOut(nameof(TrainingStateMachine.DataDownloading), attempt);
            await Sent<DownloadTrainingData>(attempt + 1);
        }

        await TimedOut(nameof(TrainingStateMachine.DataDownloading), MaxAttempts);

        var training = await WaitForState(m => m.Failed);
        Assert.Equal("DataDownloading", training.FailedStage);
        Assert.Contains($"sent {MaxAttempts} times", training.Errors["DataDownloading"]);
        Assert.Contains("Stages:MaxAttempts", training.Errors["DataDownloading"]);
        Assert.Equal(0, SentCount<DownloadTrainingData>(MaxAttempts + 1));
    }

    [Fact]
    public async Task Progress_in_between_resets_the_count_of_silent_dispatches()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));
        await TimedOut(nameof(TrainingStateMachine.TrainingRunning), attempt: 1);
        await Sent<TrainModel>(attempt: 2);

        await Publish(new TrainingProgressed { TrainingId = TrainingId, Attempt = 2, Iteration = 10, TotalIterations = 1500 });

        await Eventually(() => Training.SilentDispatches == 0, "Progress must reset the silent dispatches.");
    }
}
