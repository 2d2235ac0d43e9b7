using Pipeline.Cli.Messaging;
using Pipeline.Cli.StatusApi;
using Pipeline.Contracts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>Sends StopTraining: the training ends early, keeps its best model and goes on to detection.</summary>
public sealed class StopCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<TrainingReasonSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, TrainingReasonSettings settings, CancellationToken cancellationToken)
    {
        var id = settings.TrainingId;
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var training = await api.GetTrainingAsync(id, cancellationToken);
        if (training.State != TrainingStates.TrainingRunning)
        {
            throw new CliException(
                $"training {id} is {training.State}: only a training in TrainingRunning can be stopped ('pipeline cancel' discards one in any state).");
        }

        await using var bus = await PipelineBus.ConnectAsync(environment.RabbitMq, cancellationToken);
        await bus.SendAsync(new StopTraining { TrainingId = id, Reason = settings.Reason ?? "stopped with 'pipeline stop'" }, cancellationToken);
        console.MarkupLineInterpolated($"stop sent for training {id}: it keeps its best model so far and goes on to upload and detection");
        return ExitCodes.Ok;
    }
}
