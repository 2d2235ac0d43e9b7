using Pipeline.Contracts;
using System.ComponentModel;
using Pipeline.Cli.Messaging;
using Pipeline.Cli.StatusApi;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class QueuesSettings : ReadSettings
{
    [CommandArgument(0, "[queues]")]
    [Description("The queues to show; every stage queue when none is given.")]
    public string[] Queues { get; init; } = [];
}

/// <summary>What 'pipeline queues --json' prints: each queue with its _error queue, and the outboxes (null, and why, where not listed).</summary>
public sealed record QueuesReport(IReadOnlyList<QueuesReport.Queue> Queues, IReadOnlyList<OutboxStatus>? Outboxes, string? OutboxesNotListed)
{
    public sealed record Queue(QueueDepth Depth, QueueDepth Errors);
}

/// <summary>
/// Per stage queue: messages ready and unacked, consumers, and messages waiting in its _error queue. Then each
/// service's outbox from the status API: messages committed and waiting for its relay, and the parked ones with why.
/// </summary>
public sealed class QueuesCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<QueuesSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, QueuesSettings settings, CancellationToken cancellationToken)
    {
        using var management = new ManagementApiClient(environment.RabbitMq);
        var queues = new List<QueuesReport.Queue>();
        foreach (var name in settings.Queues.Length > 0 ? settings.Queues : StageQueues.All)
        {
            queues.Add(new(await management.GetQueueAsync(name, cancellationToken), await management.GetQueueAsync(name + "_error", cancellationToken)));
        }

        var (outboxes, notListed) = await ListOutboxesAsync(settings, cancellationToken);
        if (settings.Json)
        {
            return JsonOutput.Write(console, new QueuesReport(queues, outboxes, notListed));
        }

        var table = new Table().AddColumns("queue", "ready", "unacked", "consumers", "_error");
        foreach (var (queue, errors) in queues)
        {
            var errorCell = errors.Exists ? (errors.Ready + errors.Unacknowledged) switch
            {
                0 => "0",
                var count => $"[red]{count}[/]",
            } : "-";
            if (queue.Exists)
            {
                table.AddRow(Markup.Escape(queue.Name), queue.Ready.ToString(), queue.Unacknowledged.ToString(), queue.Consumers.ToString(), errorCell);
            }
            else
            {
                table.AddRow(Markup.Escape(queue.Name), "[grey]does not exist yet[/]", "", "", errorCell);
            }
        }

        console.Write(table);
        var sagaErrors = queues.Where(q => q.Depth.Name == StageQueues.Training && q.Errors.Exists).Sum(q => q.Errors.Ready + q.Errors.Unacknowledged);
        if (sagaErrors > 0)
        {
            // A stage's _error shows on its failed training; the saga's own holds messages no training shows.
            console.MarkupLine($"[red]alarm[/]: {sagaErrors} message(s) in {StageQueues.Training}_error. The Orchestrator brings back those an outage " +
                $"left there once PostgreSQL answers; those that stay are bad in themselves ('pipeline replay {StageQueues.Training} --dry-run' lists them).");
        }

        WriteOutboxes(outboxes, notListed);
        return ExitCodes.Ok;
    }

    /// <summary>The outboxes live in PostgreSQL behind the status API; the queues above do not need it, so its absence is a reason, not an error.</summary>
    private async Task<(IReadOnlyList<OutboxStatus>? Outboxes, string? NotListed)> ListOutboxesAsync(QueuesSettings settings, CancellationToken cancellationToken)
    {
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        try
        {
            return await api.ListOutboxesAsync(cancellationToken) is { } outboxes
                ? (outboxes, null)
                : (null, "this Orchestrator does not list them (an older version)");
        }
        catch (CliException e)
        {
            return (null, e.Message);
        }
    }

    private void WriteOutboxes(IReadOnlyList<OutboxStatus>? outboxes, string? notListed)
    {
        if (outboxes is null)
        {
            console.MarkupLineInterpolated($"[grey]outboxes: not listed, {notListed}[/]");
            return;
        }

        if (outboxes.Count == 0)
        {
            console.WriteLine("outboxes: empty");
            return;
        }

        var table = new Table().AddColumns("outbox of", "waiting", "parked");
        foreach (var outbox in outboxes)
        {
            table.AddRow(Markup.Escape(ServiceName(outbox.Service)), outbox.Waiting.ToString(), outbox.ParkedCount == 0 ? "0" : $"[red]{outbox.ParkedCount}[/]");
        }

        console.Write(table);
        var parked = outboxes.SelectMany(outbox => outbox.Parked.Select(row => (outbox.Service, Row: row))).ToList();
        // One line each: the reason is a sentence that a narrow table cell would wrap.
        foreach (var (service, row) in parked)
        {
            var to = row.Destination.Length == 0 ? "published" : $"to {row.Destination}";
            console.WriteLine($"parked {row.MessageId} {ServiceName(service)} {ShortType(row.MessageType)} {to}, {row.Attempts} attempt(s), " +
                $"since {row.ParkedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss}: {row.Reason}");
        }

        if (parked.Count > 0)
        {
            console.WriteLine("A parked message waits until its cause is fixed and it is put back: 'pipeline outbox retry <message-id>', " +
                "or 'pipeline outbox retry --service <service>' for every parked one of a service.");
        }
    }

    private static string ServiceName(string service) => service.Length == 0 ? "(written before per-service outboxes)" : service;

    /// <summary>The type's name without its namespace and assembly, as a user knows the message.</summary>
    private static string ShortType(string typeName)
    {
        var name = typeName.Split(',')[0];
        return name[(name.LastIndexOf('.') + 1)..];
    }
}
