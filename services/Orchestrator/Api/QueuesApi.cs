using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Messaging;
using Pipeline.Orchestrator.Recovery;
using Pipeline.Outbox;
using RabbitMQ.Client.Exceptions;

namespace Pipeline.Orchestrator.Api;

/// <summary>
/// <c>GET /queues</c>: each stage queue's depth, consumers and <c>_error</c> count, read with passive declares over the
/// Orchestrator's own AMQP credentials (the management API needs an administrator, which a service should not be).
/// <c>GET /queues/outbox</c>: what waits in each service's outbox, and the rows parked there with their reasons;
/// <c>POST /queues/outbox/{messageId}/retry</c> (or <c>/queues/outbox/retry?service=</c>, every parked row of one service)
/// puts parked rows back for their service's relay.
/// </summary>
public static class QueuesApi
{
    /// <summary>Parked rows listed at most, oldest first: enough to see what went wrong, never the whole table.</summary>
    public const int ParkedListed = 100;

    public static WebApplication MapQueues(this WebApplication app)
    {
        app.MapGet("/queues", ListQueues);
        app.MapGet("/queues/outbox", ListOutboxes);
        app.MapPost("/queues/outbox/{messageId:guid}/retry", RetryParked).RequireOperator();
        app.MapPost("/queues/outbox/retry", RetryParkedOfService).RequireOperator();
        return app;
    }

    private static async Task<IResult> ListOutboxes(OutboxStore outbox, CancellationToken cancellationToken) =>
        Results.Ok(await outbox.ReadStatusAsync(ParkedListed, cancellationToken));

    private static async Task<IResult> RetryParked(Guid messageId, OutboxStore outbox, CancellationToken cancellationToken) =>
        await outbox.UnparkAsync(messageId, owner: null, cancellationToken) is var count and > 0
            ? Results.Ok(new { unparked = count })
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such parked message",
                detail: $"No parked outbox row has message id {messageId}: GET /queues/outbox lists them.");

    /// <summary>Every parked row of <paramref name="service"/> (empty: the rows from before rows named their service).</summary>
    private static async Task<IResult> RetryParkedOfService(string? service, OutboxStore outbox, CancellationToken cancellationToken) =>
        service is null
            ? Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Which service?",
                detail: "Name the service whose parked rows go back: ?service=orchestrator (GET /queues/outbox lists them).")
            : Results.Ok(new { unparked = await outbox.UnparkAsync(messageId: null, service, cancellationToken) });

    private static async Task<IResult> ListQueues(IOptions<RabbitMqSettings> options, SagaErrorRecovery recovery, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await options.Value.ConnectAsync("orchestrator-queue-depths", cancellationToken);
            var queues = new List<QueueStatus>();
            foreach (var queue in StageQueues.All)
            {
                var (ready, consumers) = await connection.CountAsync(queue, cancellationToken) ?? (0, 0);
                var (failed, _) = await connection.CountAsync($"{queue}_error", cancellationToken) ?? (0, 0);
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
}
