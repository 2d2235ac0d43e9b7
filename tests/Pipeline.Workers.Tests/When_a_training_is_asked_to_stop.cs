using Pipeline.Trainer.Training;

namespace Pipeline.Workers.Tests;

public sealed class When_a_training_is_asked_to_stop
{
    [Fact]
    public void The_running_attempt_is_told_to_stop_and_is_not_cancelled()
    {
        var running = new RunningTrainings();
        var trainingId = Guid.NewGuid();
        using var lease = running.Start(trainingId, 2, CancellationToken.None);

        Assert.False(running.RequestStop(trainingId, 1));
        Assert.False(lease.StopToken.IsCancellationRequested);
        Assert.True(running.RequestStop(trainingId, 2));

        Assert.True(lease.StopToken.IsCancellationRequested);
        Assert.False(lease.Token.IsCancellationRequested);
    }

    [Fact]
    public void A_stop_that_arrives_before_its_command_stops_that_attempt_only()
    {
        var running = new RunningTrainings();
        var trainingId = Guid.NewGuid();
        Assert.False(running.RequestStop(trainingId, 1));

        using (var stopped = running.Start(trainingId, 1, CancellationToken.None))
        {
            Assert.True(stopped.StopToken.IsCancellationRequested);
        }

        using var retried = running.Start(trainingId, 2, CancellationToken.None);
        Assert.False(retried.StopToken.IsCancellationRequested);
    }
}
