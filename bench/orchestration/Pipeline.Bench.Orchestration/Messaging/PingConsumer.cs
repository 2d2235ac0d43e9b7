using MassTransit;

namespace Pipeline.Bench.Orchestration.Messaging;

/// <summary>The echo on its own bus: one consumed message, one published, as a stage worker with nothing to do.</summary>
public sealed class PingConsumer : IConsumer<Ping>
{
    public const string Queue = "bench-ping";

    public Task Consume(ConsumeContext<Ping> context) => context.Publish(new Pong { Id = context.Message.Id });
}
