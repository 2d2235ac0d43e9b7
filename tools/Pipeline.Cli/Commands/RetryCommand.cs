using Pipeline.Cli.Messaging;
using Pipeline.Cli.StatusApi;
using Pipeline.Contracts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>Sends RetryTraining: the saga sends a failed training's stage again with the next attempt.</summary>
public sealed class RetryCommand(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<TrainingIdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, TrainingIdSettings settings, CancellationToken cancellationToken)
    {
        var id = settings.TrainingId;
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var training = await api.GetTrainingAsync(id, cancellationToken);
        if (training.State != TrainingStates.Failed)
        {
            throw new CliException($"training {id} is {training.State}; only a Failed training can be retried.");
        }

        await using var bus = await PipelineBus.ConnectAsync(environment.RabbitMq, cancellationToken);
        await bus.SendAsync(new RetryTraining { TrainingId = id }, cancellationToken);
        console.MarkupLineInterpolated($"retry sent for training {id}: {training.FailedStage} runs again ('pipeline watch {id}' follows it)");
        return ExitCodes.Ok;
    }
}
