using Pipeline.Contracts;
using System.ComponentModel;
using Pipeline.Cli.Messaging;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class QueuesSettings : GlobalSettings
{
    [CommandArgument(0, "[queues]")]
    [Description("The queues to show; every stage queue when none is given.")]
    public string[] Queues { get; init; } = [];
}

/// <summary>Per stage queue: messages ready and unacked, consumers, and messages waiting in its _error queue.</summary>
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

        return ExitCodes.Ok;
    }
}
