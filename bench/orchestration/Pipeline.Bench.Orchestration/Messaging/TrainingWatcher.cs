using MassTransit;
using Pipeline.Contracts;

namespace Pipeline.Bench.Orchestration.Messaging;

/// <summary>The client watching its trainings: counts every transition, and timestamps the end (Completed or Failed).</summary>
public sealed class TrainingWatcher(Waiters waiters) : IConsumer<TrainingStateChanged>
{
    public const string Queue = "bench-training-state-changed";

    public Task Consume(ConsumeContext<TrainingStateChanged> context)
    {
        var change = context.Message;
        waiters.CountTransition();
        if (change.To is "Completed" or "Failed" or "Cancelled")
        {
            waiters.Complete(change.TrainingId, change.To);
        }

        return Task.CompletedTask;
    }
}
