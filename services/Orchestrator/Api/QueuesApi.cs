using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Messaging;
using Pipeline.Orchestrator.Recovery;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Pipeline.Orchestrator.Api;

/// <summary>
/// <c>GET /queues</c>: each stage queue's depth, consumers and <c>_error</c> count, read with passive declares over the
/// Orchestrator's own AMQP credentials (the management API needs an administrator, which a service should not be).
/// </summary>
public static class QueuesApi
{
    public static WebApplication MapQueues(this WebApplication app)
    {
        app.MapGet("/queues", ListQueues);
        return app;
    }

    private static async Task<IResult> ListQueues(IOptions<RabbitMqSettings> options, SagaErrorRecovery recovery, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var factory = new ConnectionFactory
        {
            HostName = settings.Host, Port = settings.Port, VirtualHost = settings.VirtualHost,
            UserName = settings.Username, Password = settings.Password, ClientProvidedName = "orchestrator-queue-depths",
        };
        try
        {
            await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            var queues = new List<QueueStatus>();
            foreach (var queue in StageQueues.All)
            {
                var (ready, consumers) = await CountAsync(connection, queue, cancellationToken) ?? (0, 0);
                var (failed, _) = await CountAsync(connection, $"{queue}_error", cancellationToken) ?? (0, 0);
                queues.Add(new QueueStatus { Queue = queue, Ready = ready, Consumers = consumers, Failed = failed, Alarm = AlarmOf(queue, recovery) });
            }

            return Results.Ok(queues);
        }
        catch (BrokerUnreachableException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "RabbitMQ does not answer", detail: e.Message);
        }
    }

    /// <summary>
    /// A stage's _error queue holds failed trainings' commands, each shown on its training. The saga's own holds what an
    /// outage left there until recovery brings it back, and otherwise messages nothing brings back: those are the alarm.
    /// </summary>
    private static string? AlarmOf(string queue, SagaErrorRecovery recovery) => queue == StageQueues.Training && recovery.BadMessages > 0
        ? $"{recovery.BadMessages} saga message(s) in {queue}_error are bad in themselves: no training sees them; see 'pipeline replay {queue} --dry-run'"
        : null;

    /// <summary>Null when the queue does not exist (yet): nobody has declared it, so nothing waits in it.</summary>
    private static async Task<(long Messages, long Consumers)?> CountAsync(IConnection connection, string queue, CancellationToken cancellationToken)
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
