namespace Pipeline.Orchestrator.Tests;

public sealed class When_a_stage_faults : SagaTest
{
    [Theory]
    [MemberData(nameof(StagesWithWorker))]
    public async Task Training_fails_at_the_stage_with_the_reason_under_the_stage_name(string stage)
    {
        await WalkTo(stage);

        await FaultStage(stage, attempt: 1, error: $"{stage} broke: checksum mismatch");

        var training = await WaitForState(m => m.Failed);
        Assert.Equal(stage, training.FailedStage);
        Assert.Equal($"{stage} broke: checksum mismatch", training.Errors[stage]);
        Assert.Null(training.StageDeadline);
        var last = training.History[^1];
        Assert.Equal((stage, "Failed", $"{stage} broke: checksum mismatch"), (last.From, last.To, last.Error));
    }
}
