using Pipeline.Contracts;
using System.ComponentModel;
using Pipeline.Cli.Messaging;
using Pipeline.Cli.StatusApi;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class QueuesSettings : GlobalSettings
{
    [CommandArgument(0, "[queues]")]
    [Description("The queues to show; every stage queue when none is given.")]
    public string[] Queues { get; init; } = [];
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
        var table = new Table().AddColumns("queue", "ready", "unacked", "consumers", "_error");
        long sagaErrors = 0;
        foreach (var name in settings.Queues.Length > 0 ? settings.Queues : StageQueues.All)
        {
            var queue = await management.GetQueueAsync(name, cancellationToken);
            var errors = await management.GetQueueAsync(name + "_error", cancellationToken);
            sagaErrors += name == StageQueues.Training && errors.Exists ? errors.Ready + errors.Unacknowledged : 0;
            var errorCell = errors.Exists ? (errors.Ready + errors.Unacknowledged) switch
            {
                0 => "0",
                var count => $"[red]{count}[/]",
            } : "-";
            if (queue.Exists)
            {
                table.AddRow(Markup.Escape(name), queue.Ready.ToString(), queue.Unacknowledged.ToString(), queue.Consumers.ToString(), errorCell);
            }
            else
            {
                table.AddRow(Markup.Escape(name), "[grey]does not exist yet[/]", "", "", errorCell);
            }
        }

        console.Write(table);
        if (sagaErrors > 0)
        {
            // A stage's _error shows on its failed training; the saga's own holds messages no training shows.
            console.MarkupLine($"[red]alarm[/]: {sagaErrors} message(s) in {StageQueues.Training}_error. The Orchestrator brings back those an outage " +
                $"left there once PostgreSQL answers; those that stay are bad in themselves ('pipeline replay {StageQueues.Training} --dry-run' lists them).");
        }

        await WriteOutboxesAsync(settings, cancellationToken);
        return ExitCodes.Ok;
    }

    /// <summary>The outboxes live in PostgreSQL behind the status API; the queues above do not need it, so its absence is one line.</summary>
    private async Task WriteOutboxesAsync(QueuesSettings settings, CancellationToken cancellationToken)
    {
        IReadOnlyList<OutboxStatus>? outboxes;
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        try
        {
            outboxes = await api.ListOutboxesAsync(cancellationToken);
        }
        catch (CliException e)
        {
            console.MarkupLineInterpolated($"[grey]outboxes: not listed, {e.Message}[/]");
            return;
        }

        if (outboxes is null)
        {
            console.MarkupLine("[grey]outboxes: this Orchestrator does not list them (an older version)[/]");
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
