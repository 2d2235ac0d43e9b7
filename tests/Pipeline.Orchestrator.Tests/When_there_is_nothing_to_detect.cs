using Pipeline.Contracts;

namespace Pipeline.Orchestrator.Tests;

public sealed class When_there_is_nothing_to_detect : SagaTest
{
    [Fact]
    public async Task ModelUploaded_skips_detection_and_completes()
    {
        await WalkTo(nameof(TrainingStateMachine.TrainModelUploading), detectionImages: 0);

        await ModelUploaded();

        var training = await WaitForState(m => m.Completed);
        Assert.Equal(0, await SentCountOnceQuiet<DetectImages>(attempt: 1));
        Assert.Equal(["TrainModelUploaded", "ReadyForCleanup", "Completed"], training.History.TakeLast(3).Select(t => t.To));
        await Published<TrainingReadyForCleanup>(x => x.TrainingId == TrainingId);
    }
}
