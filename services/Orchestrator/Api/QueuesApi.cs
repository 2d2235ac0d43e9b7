using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Messaging;
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

    private static async Task<IResult> ListQueues(IOptions<RabbitMqSettings> options, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await options.Value.ConnectAsync("orchestrator-queue-depths", cancellationToken);
            var queues = new List<QueueStatus>();
            foreach (var queue in StageQueues.All)
            {
                var (ready, consumers) = await connection.CountAsync(queue, cancellationToken) ?? (0, 0);
                var (failed, _) = await connection.CountAsync($"{queue}_error", cancellationToken) ?? (0, 0);
                queues.Add(new QueueStatus { Queue = queue, Ready = ready, Consumers = consumers, Failed = failed });
            }

            return Results.Ok(queues);
        }
        catch (BrokerUnreachableException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "RabbitMQ does not answer", detail: e.Message);
        }
    }
}
