using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_a_training_continues_from_a_base_model : SagaTest
{
    [Fact]
    public async Task DataDownloaded_sends_DownloadBaseModel_for_the_base_model()
    {
        await WalkTo(nameof(TrainingStateMachine.DataDownloading), withBaseModel: true);

        await DataDownloaded();

        var training = await WaitForState(m => m.TrainModelDownloading);
        var command = await Sent<DownloadBaseModel>(attempt: 1);
        Assert.Equal(BaseModelId, command.ModelId);
        Assert.Contains(training.History, t => t is { From: "DataDownloaded", To: "TrainModelDownloading" });
    }

    [Fact]
    public async Task BaseModelDownloaded_passes_TrainModelDownloaded_and_trains_on_the_base_model()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainModelDownloading));

        await BaseModelDownloaded();

        var training = await WaitForState(m => m.TrainingRunning);
        var command = await Sent<TrainModel>(attempt: 1);
        Assert.Equal("trainings/x/base-model", command.BaseModelKey);
        Assert.Contains(training.History, t => t is { From: "TrainModelDownloading", To: "TrainModelDownloaded" });
        Assert.Contains(training.History, t => t is { From: "TrainModelDownloaded", To: "TrainingRunning" });
    }

    [Fact]
    public async Task It_reaches_Completed_still_holding_the_base_model_it_trained_from()
    {
        await WalkTo(nameof(TrainingStateMachine.DetectionUploading), withBaseModel: true);

        await DetectionsUploaded();

        var training = await WaitForState(m => m.Completed);
        Assert.Equal("trainings/x/base-model", training.BaseModelKey);
    }
}
