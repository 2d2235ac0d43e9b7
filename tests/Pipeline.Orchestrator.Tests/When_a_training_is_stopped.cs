using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_a_training_is_stopped : SagaTest
{
    [Fact]
    public async Task The_Trainer_is_told_and_the_training_goes_on_to_completion_its_history_saying_where_it_stopped()
    {
        await WalkTo(TrainingStates.TrainingRunning);

        await Send(new StopTraining { TrainingId = TrainingId, Reason = "mAP flattened" });
        await Published<TrainingStopRequested>(x => x.TrainingId == TrainingId && x.Attempt == 1 && x.Reason == "mAP flattened");
        Assert.Equal(TrainingStates.TrainingRunning, (await WaitForState(m => m.TrainingRunning)).CurrentState);

        await Publish(new Contracts.ModelTrained
        {
            TrainingId = TrainingId, Attempt = 1, ModelKey = "trainings/x/model", StoppedAtIteration = 40,
            Metrics = new TrainingMetrics { Iteration = 30, Loss = 0.2, MeanAveragePrecision = 0.7 },
        });
        await WaitForState(m => m.TrainModelUploading);
        var upload = await Sent<UploadModel>(attempt: 1);
        await ModelUploaded();
        await DetectToCompletion();

        Assert.Equal(30, upload.Metrics.Iteration);
        Assert.Equal(40, Training.StoppedAtIteration);
        var stopped = Assert.Single(Training.History, t => t.From == TrainingStates.TrainingRunning);
        Assert.Equal(TrainingStates.TrainingFinished, stopped.To);
        Assert.Equal($"stopped at iteration 40 of {new Hyperparameters().Iterations} (mAP flattened)", stopped.Note);
    }

    [Fact]
    public async Task A_Trainer_that_starts_the_stopped_attempt_over_is_told_again()
    {
        await WalkTo(TrainingStates.TrainingRunning);
        await Send(new StopTraining { TrainingId = TrainingId });
        await Published<TrainingStopRequested>(x => x.TrainingId == TrainingId);

        // The Trainer that had the command died; the redelivered copy starts on another one.
        await Started(TrainingStates.TrainingRunning, attempt: 1);
        await ConsumedCount<StageStarted>(1);

        await Quiet();
        Assert.Equal(2, Harness.Published.Select<TrainingStopRequested>(x => x.Context.Message.TrainingId == TrainingId, WithoutWaiting).Count());
    }

    [Theory]
    [InlineData(TrainingStates.DataDownloading)]
    [InlineData(TrainingStates.TrainModelUploading)]
    [InlineData(TrainingStates.Detecting)]
    public async Task Outside_TrainingRunning_a_stop_changes_nothing(string stage)
    {
        await WalkTo(stage);
        var before = Training.History.Count;

        await Send(new StopTraining { TrainingId = TrainingId });
        await ConsumedCount<StopTraining>(1);

        Assert.Equal(stage, Training.CurrentState);
        Assert.Equal(before, Training.History.Count);
        Assert.Null(Training.StopRequestedForAttempt);
        await Quiet();
        Assert.False(Harness.Published.Select<TrainingStopRequested>(_ => true, WithoutWaiting).Any());
    }

    [Fact]
    public async Task A_training_that_ran_all_its_iterations_has_no_stop_in_its_history()
    {
        await WalkTo(TrainingStates.TrainingRunning);

        await ModelTrained();
        await WaitForState(m => m.TrainModelUploading);

        Assert.Null(Training.StoppedAtIteration);
        Assert.All(Training.History, t => Assert.Null(t.Note));
    }
}
