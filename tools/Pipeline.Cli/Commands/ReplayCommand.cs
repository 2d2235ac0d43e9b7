using System.ComponentModel;
using Pipeline.Cli.Messaging;
using Pipeline.Cli.StatusApi;
using Pipeline.Messaging;
using RabbitMQ.Client.Exceptions;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

public sealed class ReplaySettings : GlobalSettings
{
    [CommandArgument(0, "<queue>")]
    [Description("The queue whose _error queue to move back, e.g. train-model.")]
    public string Queue { get; init; } = "";

    [CommandOption("--training <ID>")]
    [Description("Only this training's messages: its id, or its first characters.")]
    public string? Training { get; init; }

    [CommandOption("--max <N>")]
    [Description("Move at most N messages.")]
    public int? Max { get; init; }

    [CommandOption("--dry-run")]
    [Description("List what would move; move nothing.")]
    public bool DryRun { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Queue) || Queue.EndsWith("_error", StringComparison.Ordinal))
        {
            return ValidationResult.Error("give the queue itself (e.g. train-model), not its _error queue.");
        }

        if (Max is <= 0)
        {
            return ValidationResult.Error("--max must be at least 1.");
        }

        return ValidationResult.Success();
    }
}

/// <summary>Moves messages from &lt;queue&gt;_error back to &lt;queue&gt;, with publisher confirms, losing none.</summary>
public sealed class ReplayCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<ReplaySettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ReplaySettings settings, CancellationToken cancellationToken)
    {
        var request = new ReplayRequest(settings.Queue, await TrainingAsync(settings, cancellationToken), settings.Max, settings.DryRun);
        var result = await ReplayAsync(request, cancellationToken);
        if (!result.ErrorQueueExists)
        {
            console.MarkupLineInterpolated($"queue {result.ErrorQueue} does not exist: nothing has failed on {settings.Queue} yet. Moved 0 messages.");
            return ExitCodes.Ok;
        }

        if (result.Selected.Count > 0)
        {
            var table = new Table().AddColumns("message id", "training", "type", "fault");
            foreach (var message in result.Selected)
            {
                table.AddRow(Markup.Escape(message.MessageId ?? "?"), message.TrainingId?.ToString() ?? "?",
                    Markup.Escape(message.MessageType ?? "?"), Markup.Escape(message.FaultMessage ?? ""));
            }

            console.Write(table);
        }

        var skipped = result.Skipped > 0 ? $"; {result.Skipped} of other trainings left in {result.ErrorQueue}" : "";
        console.WriteLine(settings.DryRun
            ? $"Dry run: would move {result.Selected.Count} of {result.MessagesAtStart} messages from {result.ErrorQueue} to {settings.Queue}{skipped}."
            : $"Moved {result.Moved} of {result.MessagesAtStart} messages from {result.ErrorQueue} to {settings.Queue}{skipped}.");
        return ExitCodes.Ok;
    }

    /// <summary>The training whose messages to move: a whole id as it is, with no status API asked (an error queue may hold a training it no longer knows).</summary>
    private async Task<Guid?> TrainingAsync(ReplaySettings settings, CancellationToken cancellationToken)
    {
        if (settings.Training is null)
        {
            return null;
        }

        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        return await api.ResolveTrainingIdAsync(settings.Training, cancellationToken);
    }

    private async Task<ReplayResult> ReplayAsync(ReplayRequest request, CancellationToken cancellationToken)
    {
        var rabbit = environment.RabbitMq;
        try
        {
            return await new ErrorQueueReplayer(rabbit).ReplayAsync(request, cancellationToken);
        }
        catch (ReplayTargetMissingException e)
        {
            throw new CliException(e.Message, ExitCodes.NotFound);
        }
        catch (ReplayInterruptedException interrupted)
        {
            throw new CliException(
                $"{interrupted.Message}. None was lost: each left the error queue only once the broker had confirmed its copy. " +
                "Run the same replay again once RabbitMQ is back; a message may arrive twice, and the saga ignores the second.",
                ExitCodes.ServerUnavailable);
        }
        catch (BrokerUnreachableException e) when (e.InnerException is AuthenticationFailureException)
        {
            throw new CliException($"RabbitMQ at {rabbit.Host}:{rabbit.Port} refused user '{rabbit.Username}'.", ExitCodes.ServerUnavailable);
        }
        catch (BrokerUnreachableException)
        {
            throw PipelineBus.RabbitMqDown(rabbit);
        }
    }
}
