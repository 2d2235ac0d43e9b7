using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Pipeline.Messaging;

/// <summary>Plain AMQP next to the bus: a connection with a service's own account, and exact queue counts by passive declare.</summary>
public static class BrokerConnections
{
    public static Task<IConnection> ConnectAsync(this RabbitMqSettings settings, string clientName, CancellationToken cancellationToken) =>
        new ConnectionFactory
        {
            HostName = settings.Host, Port = settings.Port, VirtualHost = settings.VirtualHost,
            UserName = settings.Username, Password = settings.Password, ClientProvidedName = clientName,
        }.CreateConnectionAsync(cancellationToken);

    /// <summary>Messages ready and consumers of a queue; null when it does not exist (yet): nobody has declared it, so nothing waits in it.</summary>
    public static async Task<(long Messages, long Consumers)?> CountAsync(this IConnection connection, string queue, CancellationToken cancellationToken)
    {
        // A passive declare of a missing queue closes its channel: one channel per question.
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            var declared = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
            return (declared.MessageCount, declared.ConsumerCount);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }
}
