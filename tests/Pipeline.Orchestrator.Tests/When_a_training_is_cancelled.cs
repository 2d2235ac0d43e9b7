using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_a_training_is_cancelled : SagaTest
{
    [Theory]
    [MemberData(nameof(StagesWithWorker))]
    public async Task It_stops_in_Cancelled_and_publishes_TrainingCancelled_and_the_cleanup(string stage)
    {
        await WalkTo(stage);

        await Send(new CancelTraining { TrainingId = TrainingId, Reason = "wrong dataset" });

        var training = await WaitForState(m => m.Cancelled);
        await Published<TrainingCancelled>(x => x.TrainingId == TrainingId && x.Reason == "wrong dataset");
        await Published<TrainingReadyForCleanup>(x => x.TrainingId == TrainingId);
        Assert.Null(training.StageDeadline);
        Assert.Equal((stage, "Cancelled"), (training.History[^1].From, training.History[^1].To));
    }

    [Fact]
    public async Task A_failed_training_can_be_cancelled()
    {
        await WalkTo(nameof(TrainingStateMachine.DataDownloading));
        await FaultStage(nameof(TrainingStateMachine.DataDownloading), attempt: 1, error: "404");
        await WaitForState(m => m.Failed);

        await Send(new CancelTraining { TrainingId = TrainingId });

        await WaitForState(m => m.Cancelled);
    }

    [Fact]
    public async Task Results_arriving_after_the_cancel_are_ignored()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));
        await Send(new CancelTraining { TrainingId = TrainingId });
        await WaitForState(m => m.Cancelled);

        await ModelTrained();
        await ConsumedCount<ModelTrained>(1);

        Assert.Equal("Cancelled", Training.CurrentState);
        Assert.Equal(0, await SentCountOnceQuiet<UploadModel>(attempt: 1));
    }
}
