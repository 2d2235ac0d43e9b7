using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Pipeline.Messaging;

public sealed record ReplayRequest(string Queue, Guid? TrainingId = null, int? Max = null, bool DryRun = false)
{
    public string ErrorQueue => Queue + "_error";

    /// <summary>Moves only the messages this accepts (besides <see cref="TrainingId"/>); the others stay in the error queue.</summary>
    public Func<ReplayedMessage, bool>? Where { get; init; }

    public bool Selects(ReplayedMessage message) =>
        (TrainingId is not { } wanted || message.TrainingId == wanted) && (Where is null || Where(message));
}

/// <summary>One message taken from the error queue: moved, or (dry run) that would have moved.</summary>
public sealed record ReplayedMessage(
    string? MessageId, Guid? TrainingId, string? MessageType, string? FaultMessage, int BodyLength, string? FaultExceptionType = null);

/// <summary>The connection to the broker was lost during a pass; nothing is lost, and a second pass moves the rest.</summary>
public sealed class ReplayInterruptedException(ReplayRequest request, int moved, uint messagesAtStart, Exception cause)
    : Exception($"the connection to RabbitMQ was lost after moving {moved} of {messagesAtStart} messages from {request.ErrorQueue} to {request.Queue}", cause)
{
    public int Moved { get; } = moved;
}

public sealed record ReplayResult(string ErrorQueue, bool ErrorQueueExists, uint MessagesAtStart, IReadOnlyList<ReplayedMessage> Selected, int Skipped, bool DryRun)
{
    public int Moved => DryRun ? 0 : Selected.Count;
}

/// <summary>
/// Moves messages from <c>queue_error</c> back to <c>queue</c> without losing one: each is published to the queue
/// and confirmed by the broker before its original is acked, so an interruption leaves at worst a duplicate
/// (which the saga's attempt check ignores). Messages that do not match are held unacked until the pass ends
/// and then returned: a requeued message goes back to the head of the queue, so returning it at once would
/// hand it straight back to the next get. One pass reads at most the count the error queue had at the start.
/// The command line's <c>pipeline replay</c> and the status API's <c>POST /trainings/{id}/replay</c> both move with it.
/// A broker that cannot be reached throws RabbitMQ's own exceptions, for the caller to word.
/// </summary>
public sealed class ErrorQueueReplayer(RabbitMqSettings settings, string clientName = "pipeline replay")
{
    /// <summary>MassTransit's notes on why the message failed; they belong to the failure, not to the message.</summary>
    public static bool IsFaultHeader(string name) =>
        name.StartsWith("MT-Fault-", StringComparison.OrdinalIgnoreCase) || name.Equals("MT-Reason", StringComparison.OrdinalIgnoreCase);

    public async Task<ReplayResult> ReplayAsync(ReplayRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(cancellationToken);

        uint count;
        // A passive declare of a missing queue closes its channel: probe on a channel of its own.
        await using (var probe = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            try
            {
                count = (await probe.QueueDeclarePassiveAsync(request.ErrorQueue, cancellationToken)).MessageCount;
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
            {
                return new ReplayResult(request.ErrorQueue, false, 0, [], 0, request.DryRun);
            }
        }

        var exchange = "";
        if (!request.DryRun)
        {
            await using (var probe = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
            {
                try
                {
                    await probe.QueueDeclarePassiveAsync(request.Queue, cancellationToken);
                }
                catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
                {
                    throw new ReplayTargetMissingException(request.Queue);
                }
            }

            exchange = await QueueExchangeAsync(connection, request.Queue, cancellationToken);
        }

        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        var selected = new List<ReplayedMessage>();
        var held = new List<ulong>();
        try
        {
            for (uint read = 0; read < count; read++)
            {
                if (request.Max is { } max && selected.Count >= max)
                {
                    break;
                }

                var delivery = await channel.BasicGetAsync(request.ErrorQueue, autoAck: false, cancellationToken);
                if (delivery is null)
                {
                    break;
                }

                var message = Describe(delivery);
                if (!request.Selects(message) || request.DryRun)
                {
                    held.Add(delivery.DeliveryTag);
                    if (request.DryRun && request.Selects(message))
                    {
                        selected.Add(message);
                    }

                    continue;
                }

                // With confirmation tracking, the publish returns once the broker confirmed it (and throws if it was
                // refused or, being mandatory, could not be routed); only then does the original leave the error queue.
                await channel.BasicPublishAsync(
                    exchange: exchange, routingKey: request.Queue, mandatory: true, basicProperties: Republished(delivery.BasicProperties),
                    body: delivery.Body.ToArray(), cancellationToken: cancellationToken);
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, cancellationToken);
                selected.Add(message);
            }
        }
        catch (Exception e) when ((e is AlreadyClosedException or OperationInterruptedException or IOException) && !connection.IsOpen)
        {
            // The broker went away mid-pass: whatever was not confirmed is still in the error queue (its get unacked).
            throw new ReplayInterruptedException(request, selected.Count, count, e);
        }
        finally
        {
            await ReturnAsync(channel, held);
        }

        return new ReplayResult(request.ErrorQueue, true, count, selected, held.Count - (request.DryRun ? selected.Count : 0), request.DryRun);
    }

    /// <summary>
    /// Where to publish a message for <paramref name="queue"/>: the exchange of the queue's name that MassTransit binds to
    /// each receive endpoint's queue, when there is one, else the default exchange. A service's account may write the
    /// names of its own queues (scripts/infra.sh), while writing the default exchange would let it reach every queue.
    /// </summary>
    private static async Task<string> QueueExchangeAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        // A passive declare of a missing exchange closes its channel: probe on a channel of its own.
        await using var probe = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await probe.ExchangeDeclarePassiveAsync(queue, cancellationToken);
            return queue;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return "";
        }
    }

    private Task<IConnection> ConnectAsync(CancellationToken cancellationToken) => settings.ConnectAsync(clientName, cancellationToken);

    private static async Task ReturnAsync(IChannel channel, List<ulong> held)
    {
        if (!channel.IsOpen)
        {
            return; // closing the channel already returned every unacked message
        }

        foreach (var tag in held)
        {
            await channel.BasicNackAsync(tag, multiple: false, requeue: true, CancellationToken.None);
        }
    }

    private static BasicProperties Republished(IReadOnlyBasicProperties original)
    {
        var properties = new BasicProperties(original);
        if (original.Headers is { } headers)
        {
            properties.Headers = headers.Where(header => !IsFaultHeader(header.Key)).ToDictionary(header => header.Key, header => header.Value);
        }

        return properties;
    }

    public static ReplayedMessage Describe(BasicGetResult delivery)
    {
        Guid? trainingId = null;
        string? messageType = null;
        try
        {
            using var document = JsonDocument.Parse(delivery.Body);
            if (Property(document.RootElement, "message") is { ValueKind: JsonValueKind.Object } message
                && (Property(message, "trainingId") ?? Property(message, "correlationId")) is { ValueKind: JsonValueKind.String } id
                && Guid.TryParse(id.GetString(), out var parsed))
            {
                trainingId = parsed;
            }

            if (Property(document.RootElement, "messageType") is { ValueKind: JsonValueKind.Array } types && types.GetArrayLength() > 0)
            {
                messageType = types[0].GetString()?.Replace("urn:message:", "");
            }
        }
        catch (JsonException)
        {
            // Not a MassTransit JSON envelope: it matches no training filter, and moves only without one.
        }

        return new ReplayedMessage(delivery.BasicProperties.MessageId, trainingId, messageType,
            Header(delivery.BasicProperties, "MT-Fault-Message"), delivery.Body.Length, Header(delivery.BasicProperties, "MT-Fault-ExceptionType"));
    }

    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    private static string? Header(IReadOnlyBasicProperties properties, string name) =>
        properties.Headers?.TryGetValue(name, out var value) == true
            ? value switch { byte[] bytes => Encoding.UTF8.GetString(bytes), null => null, _ => value.ToString() }
            : null;
}
