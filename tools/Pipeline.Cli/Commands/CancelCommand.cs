using Pipeline.Cli.Messaging;
using Pipeline.Cli.StatusApi;
using Pipeline.Contracts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>Sends CancelTraining; the training must exist (the saga discards commands for unknown ids).</summary>
public sealed class CancelCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<TrainingReasonSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, TrainingReasonSettings settings, CancellationToken cancellationToken)
    {
        var id = settings.TrainingId;
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var training = await api.GetTrainingAsync(id, cancellationToken);
        if (training.State is TrainingStates.Completed or TrainingStates.Cancelled)
        {
            throw new CliException($"training {id} is {training.State} already; there is nothing to cancel.");
        }

        await using var bus = await PipelineBus.ConnectAsync(environment.RabbitMq, cancellationToken);
        await bus.SendAsync(new CancelTraining { TrainingId = id, Reason = settings.Reason ?? "cancelled with 'pipeline cancel'" }, cancellationToken);
        console.MarkupLineInterpolated($"cancel sent for training {id} (was {training.State})");
        return ExitCodes.Ok;
    }
}
