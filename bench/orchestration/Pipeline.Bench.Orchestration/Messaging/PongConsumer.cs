using MassTransit;

namespace Pipeline.Bench.Orchestration.Messaging;

/// <summary>The client's side of the raw round trip: completes the ping it answers.</summary>
public sealed class PongConsumer(Waiters waiters) : IConsumer<Pong>
{
    public const string Queue = "bench-pong";

    public Task Consume(ConsumeContext<Pong> context)
    {
        waiters.Complete(context.Message.Id, "Pong");
        return Task.CompletedTask;
    }
}
