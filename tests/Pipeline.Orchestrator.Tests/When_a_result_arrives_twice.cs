using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_a_result_arrives_twice : SagaTest
{
    [Fact]
    public async Task A_second_ModelTrained_after_TrainingRunning_is_ignored()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainModelUploading));
        var transitions = Training.History.Count;

        await ModelTrained(attempt: 1, map: 0.1);
        await ConsumedCount<ModelTrained>(2);

        Assert.Equal("TrainModelUploading", Training.CurrentState);
        Assert.Equal(transitions, Training.History.Count);
        Assert.Equal(1, await SentCountOnceQuiet<UploadModel>(attempt: 1));
        Assert.Equal(0.8, Training.BestMetrics!.MeanAveragePrecision);
    }

    [Fact]
    public async Task A_second_TrainingDataDownloaded_sends_no_second_TrainModel()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainingRunning));

        await DataDownloaded();
        await ConsumedCount<TrainingDataDownloaded>(2);

        Assert.Equal(1, await SentCountOnceQuiet<TrainModel>(attempt: 1));
    }

    [Fact]
    public async Task A_result_for_an_unknown_training_is_discarded()
    {
        var stranger = Guid.NewGuid();

        await Publish(new ModelUploaded { TrainingId = stranger, Attempt = 1, ModelId = ModelId, Version = 1, ModelKey = "models/x" });

        await Eventually(() => Harness.Consumed.Select<ModelUploaded>(x => x.Context.Message.TrainingId == stranger, WithoutWaiting).Any(),
            "The saga's endpoint never took the result.");
        await Quiet();
        Assert.Null(Harness.Consumed.Select<ModelUploaded>(x => x.Context.Message.TrainingId == stranger, WithoutWaiting).Single().Exception);
        Assert.Null(SagaNow(stranger));
    }
}
