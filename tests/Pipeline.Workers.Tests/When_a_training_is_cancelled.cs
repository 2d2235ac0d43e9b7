using Pipeline.Trainer.Training;

namespace Pipeline.Workers.Tests;

public sealed class When_a_training_is_cancelled
{
    [Fact]
    public void A_running_training_is_cancelled_by_request()
    {
        var running = new RunningTrainings();
        var trainingId = Guid.NewGuid();
        using var lease = running.Start(trainingId, 1, CancellationToken.None);

        Assert.True(running.Cancel(trainingId));

        Assert.True(lease.Token.IsCancellationRequested);
        Assert.True(lease.CancelledByRequest);
    }

    [Fact]
    public void A_training_cancelled_before_it_starts_starts_cancelled()
    {
        var running = new RunningTrainings();
        var trainingId = Guid.NewGuid();
        Assert.False(running.Cancel(trainingId));

        using var lease = running.Start(trainingId, 1, CancellationToken.None);

        Assert.True(lease.Token.IsCancellationRequested);
    }

    [Fact]
    public void Host_shutdown_is_not_a_cancel_by_request()
    {
        var running = new RunningTrainings();
        using var shutdown = new CancellationTokenSource();
        using var lease = running.Start(Guid.NewGuid(), 1, shutdown.Token);

        shutdown.Cancel();

        Assert.True(lease.Token.IsCancellationRequested);
        Assert.False(lease.CancelledByRequest);
    }
}
