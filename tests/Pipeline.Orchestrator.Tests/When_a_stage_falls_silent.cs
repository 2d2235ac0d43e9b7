using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_a_stage_falls_silent : SagaTest
{
    private StageSettings Stages => new StageSettings();

    private Task TimedOut(string stage, int attempt, long? commandsWaiting = null) =>
        Send(new StageTimedOut { TrainingId = TrainingId, Attempt = attempt, Stage = stage, CommandsWaiting = commandsWaiting });

    /// <summary>The stage's worker started it and then said nothing for longer than its timeout.</summary>
    private async Task StartAndFallSilent(string stage, int attempt)
    {
        await Started(stage, attempt);
        await Eventually(() => Training.StageStartedAt is not null, $"{stage} never counted as started.");
        Clock.Advance(Stages.TimeoutOf(stage) + TimeSpan.FromSeconds(1));
    }

    [Theory]
    [MemberData(nameof(StagesWithWorker))]
    public async Task The_watchdog_finding_sends_the_stage_again_with_the_next_attempt(string stage)
    {
        await WalkTo(stage);
        await StartAndFallSilent(stage, attempt: 1);

        await TimedOut(stage, attempt: 1);

        await Eventually(() => SentForStage(stage, attempt: 2) > 0, $"{stage} was never sent again with attempt 2.");
        Assert.Equal((stage, 2, 1), (Training.CurrentState, Training.Attempt, Training.SilentDispatches));
        // The new attempt waits in its queue again: only the queue timeout runs until a worker starts it (a stage that may
        // wait for ever is looked at again after its silence timeout).
        Assert.Null(Training.StageStartedAt);
        Assert.Equal(Clock.GetUtcNow() + (Stages.QueueTimeoutOf(stage) ?? Stages.TimeoutOf(stage)), Training.StageDeadline);
        await Published<StageAttemptSuperseded>(m => m.TrainingId == TrainingId && m.Attempt == 1 && m.CurrentAttempt == 2);
    }

    [Fact]
    public async Task A_training_waiting_in_the_queue_behind_others_is_not_sent_again()
    {
        await WalkTo(TrainingStates.TrainingRunning);
        Clock.Advance(TimeSpan.FromHours(30));

        await TimedOut(TrainingStates.TrainingRunning, attempt: 1, commandsWaiting: 3);
        await ConsumedCount<StageTimedOut>(1);

        Assert.Equal((TrainingStates.TrainingRunning, 1), (Training.CurrentState, Training.Attempt));
        Assert.Equal(Clock.GetUtcNow() + Stages.TimeoutOf(TrainingStates.TrainingRunning), Training.StageDeadline);
        Assert.Equal(1, await SentCountOnceQuiet<TrainModel>(attempt: 1));
        Assert.Equal(0, await SentCountOnceQuiet<TrainModel>(attempt: 2));
    }

    [Fact]
    public async Task A_training_entering_a_stage_without_a_queue_timeout_still_has_a_deadline()
    {
        await WalkTo(TrainingStates.TrainingRunning);

        Assert.Null(Stages.QueueTimeoutOf(TrainingStates.TrainingRunning));
        Assert.Equal(Clock.GetUtcNow() + Stages.TimeoutOf(TrainingStates.TrainingRunning), Training.StageDeadline);
    }

    [Fact]
    public async Task A_training_whose_command_is_gone_from_its_queue_is_sent_again()
    {
        await WalkTo(TrainingStates.TrainingRunning);
        Clock.Advance(Stages.TimeoutOf(TrainingStates.TrainingRunning) + TimeSpan.FromSeconds(1));

        await TimedOut(TrainingStates.TrainingRunning, attempt: 1, commandsWaiting: 0);

        await Eventually(() => SentForStage(TrainingStates.TrainingRunning, attempt: 2) > 0, "TrainModel was never sent again with attempt 2.");
        Assert.Equal((TrainingStates.TrainingRunning, 2, 1), (Training.CurrentState, Training.Attempt, Training.SilentDispatches));
        await Published<StageAttemptSuperseded>(m => m.TrainingId == TrainingId && m.Attempt == 1 && m.CurrentAttempt == 2);
    }

    [Fact]
    public async Task A_command_nobody_takes_within_its_queue_timeout_fails_the_training_naming_the_queue()
    {
        await WalkTo(TrainingStates.DataDownloading);
        Clock.Advance(Stages.QueueTimeoutOf(TrainingStates.DataDownloading)!.Value + TimeSpan.FromSeconds(1));

        await TimedOut(TrainingStates.DataDownloading, attempt: 1);

        var training = await WaitForState(m => m.Failed);
        Assert.Equal(TrainingStates.DataDownloading, training.FailedStage);
        Assert.Contains($"'{StageQueues.DownloadTrainingData}'", training.Errors[TrainingStates.DataDownloading]);
        Assert.Equal(0, await SentCountOnceQuiet<DownloadTrainingData>(attempt: 2));
    }

    [Fact]
    public async Task A_finding_whose_deadline_a_heartbeat_pushed_meanwhile_is_ignored()
    {
        await WalkTo(TrainingStates.TrainingRunning);
        await Started(TrainingStates.TrainingRunning, attempt: 1);
        await Eventually(() => Training.StageStartedAt is not null, "TrainingRunning never counted as started.");

        // The watchdog read the deadline before this progress pushed it: the saga, reading fresh state, ignores it.
        await TimedOut(TrainingStates.TrainingRunning, attempt: 1);
        await ConsumedCount<StageTimedOut>(1);

        Assert.Equal(1, Training.Attempt);
        Assert.Equal(0, await SentCountOnceQuiet<TrainModel>(attempt: 2));
    }

    [Fact]
    public async Task A_stale_attempt_that_starts_is_told_it_is_superseded()
    {
        await WalkTo(TrainingStates.TrainingRunning);
        await StartAndFallSilent(TrainingStates.TrainingRunning, attempt: 1);
        await TimedOut(TrainingStates.TrainingRunning, attempt: 1);
        await Sent<TrainModel>(attempt: 2);

        await Started(TrainingStates.TrainingRunning, attempt: 1);

        await Eventually(() => Harness.Published.Select<StageAttemptSuperseded>(x => x.Context.Message.TrainingId == TrainingId, WithoutWaiting).Count() >= 2,
            "The stale start was not told it is superseded.");
        Assert.Null(Training.StageStartedAt);
    }

    [Fact]
    public async Task Progress_pushes_the_deadline_to_a_full_timeout_from_now()
    {
        await WalkTo(TrainingStates.TrainingRunning);
        await Started(TrainingStates.TrainingRunning, attempt: 1);
        Clock.Advance(TimeSpan.FromMinutes(7));

        await Publish(new TrainingProgressed { TrainingId = TrainingId, Attempt = 1, Iteration = 10, TotalIterations = 1500 });

        var expected = Clock.GetUtcNow() + Stages.TimeoutOf(TrainingStates.TrainingRunning);
        await Eventually(() => Training.StageDeadline == expected, $"The deadline is {Training.StageDeadline}, not {expected}.");
    }

    [Fact]
    public async Task A_finding_for_an_old_attempt_or_another_stage_is_ignored()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));

        await TimedOut(nameof(TrainingStateMachine.TrainingRunning), attempt: 5);
        await TimedOut(nameof(TrainingStateMachine.DataDownloading), attempt: 1);
        await ConsumedCount<StageTimedOut>(2);

        Assert.Equal(1, Training.Attempt);
        Assert.Equal(0, await SentCountOnceQuiet<TrainModel>(attempt: 2));
    }

    [Fact]
    public async Task After_max_attempts_without_an_answer_the_training_fails_at_the_stage()
    {
        await WalkTo(nameof(TrainingStateMachine.DataDownloading));

        for (var attempt = 1; attempt < MaxAttempts; attempt++)
        {
            await StartAndFallSilent(TrainingStates.DataDownloading, attempt);
            await TimedOut(nameof(TrainingStateMachine.DataDownloading), attempt);
            await Sent<DownloadTrainingData>(attempt + 1);
        }

        await StartAndFallSilent(TrainingStates.DataDownloading, MaxAttempts);
        await TimedOut(nameof(TrainingStateMachine.DataDownloading), MaxAttempts);

        var training = await WaitForState(m => m.Failed);
        Assert.Equal("DataDownloading", training.FailedStage);
        Assert.Contains($"sent {MaxAttempts} times", training.Errors["DataDownloading"]);
        Assert.Contains("Stages:MaxAttempts", training.Errors["DataDownloading"]);
        Assert.Equal(0, await SentCountOnceQuiet<DownloadTrainingData>(MaxAttempts + 1));
    }

    [Fact]
    public async Task Progress_in_between_resets_the_count_of_silent_dispatches()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));
        await StartAndFallSilent(TrainingStates.TrainingRunning, attempt: 1);
        await TimedOut(nameof(TrainingStateMachine.TrainingRunning), attempt: 1);
        await Sent<TrainModel>(attempt: 2);

        await Publish(new TrainingProgressed { TrainingId = TrainingId, Attempt = 2, Iteration = 10, TotalIterations = 1500 });

        await Eventually(() => Training.SilentDispatches == 0, "Progress must reset the silent dispatches.");
    }
}
