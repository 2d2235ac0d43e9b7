using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pipeline.Outbox;

/// <summary>
/// Sends outbox messages to RabbitMQ with their stored ids. A unit of work calls <see cref="Committed"/> once its
/// transaction has committed. Where this process runs a relay and <c>Outbox:DeliverOnCommit</c> is on, the committed
/// messages leave at once from memory, without holding up the consumer that wrote them (they are durable already)
/// and without a relay reading them back; the relay deletes them once the broker has confirmed them. Otherwise, or
/// should that fail, the rows wait for a relay, which takes claimed rows once their claim has run out.
/// </summary>
public sealed class OutboxDelivery(OutboxSignal signal, IBus bus, IOptions<OutboxSettings> settings, ILogger<OutboxDelivery> logger)
{
    private readonly ConcurrentQueue<Guid> sent = new();

    public void Committed(OutboxBuffer buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        if (settings.Value.ClaimsOnCommit)
        {
            _ = SendCommittedAsync(buffer.Entries);
        }
        else
        {
            signal.Notify();
        }
    }

    /// <summary>The ids of rows sent since the last call, for the relay to delete.</summary>
    public Guid[] TakeSent()
    {
        var ids = new List<Guid>();
        while (sent.TryDequeue(out var id))
        {
            ids.Add(id);
        }

        return [.. ids];
    }

    /// <summary>Gives back ids <see cref="TakeSent"/> handed out whose rows could not be deleted, for the next try.</summary>
    public void Unsent(IEnumerable<Guid> ids)
    {
        foreach (var id in ids)
        {
            sent.Enqueue(id);
        }
    }

    /// <summary>A command to <paramref name="destination"/>, or a publication when it is empty.</summary>
    internal async Task SendAsync(string destination, Guid messageId, object message, Type type, CancellationToken cancellationToken)
    {
        if (destination.Length == 0)
        {
            await bus.Publish(message, type, Pipe.Execute<PublishContext>(context => context.MessageId = messageId), cancellationToken);
        }
        else
        {
            var endpoint = await bus.GetSendEndpoint(new Uri(destination));
            await endpoint.Send(message, type, Pipe.Execute<SendContext>(context => context.MessageId = messageId), cancellationToken);
        }
    }

    private async Task SendCommittedAsync(IReadOnlyList<OutboxBuffer.OutboxEntry> entries)
    {
        try
        {
            await Task.WhenAll(entries.Select(entry => SendAsync(entry.Destination, entry.MessageId, entry.Message, entry.Type, CancellationToken.None)))
                .WaitAsync(settings.Value.SendTimeout);
            foreach (var entry in entries)
            {
                sent.Enqueue(entry.MessageId);
            }

            signal.Notify();
        }
        catch (Exception exception)
        {
            // Committed is committed: the rows are durable, and a relay sends them once the claim has run out
            // (a copy that did leave goes twice, with the same message id).
            logger.LogWarning("{Count} committed outbox messages are left to the relay ({Reason})", entries.Count, exception.Message);
        }
    }
}
