using MassTransit;

namespace Pipeline.Outbox;

/// <summary>How the saga sends: into the transaction's outbox when there is one, else straight through the consume context.</summary>
public static class OutboxContextExtensions
{
    public static Task SendDurably<T>(this ConsumeContext context, T message)
        where T : class
    {
        if (context.TryGetPayload(out OutboxBuffer? buffer))
        {
            buffer.Send(message);
            return Task.CompletedTask;
        }

        return context.Send(message);
    }

    public static Task PublishDurably<T>(this ConsumeContext context, T message)
        where T : class
    {
        if (context.TryGetPayload(out OutboxBuffer? buffer))
        {
            buffer.Publish(message);
            return Task.CompletedTask;
        }

        return context.Publish(message);
    }
}
