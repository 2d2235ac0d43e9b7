using Pipeline.Cli.Messaging;
using Pipeline.Cli.StatusApi;
using Pipeline.Contracts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>
/// A user command about one training (stop, cancel, retry): the training is looked up first, since the saga discards
/// commands for unknown ids and ignores those its state does not take, then the message goes to the saga's queue.
/// </summary>
public abstract class TrainingActionCommand<TSettings, TMessage>(IAnsiConsole console, CliEnvironment environment) : AsyncCommand<TSettings>
    where TSettings : TrainingIdSettings
    where TMessage : class
{
    /// <summary>Why the training cannot take the action now; null when it can.</summary>
    protected abstract string? Refusal(TrainingDetails training);

    protected abstract TMessage Message(Guid trainingId, TSettings settings);

    protected abstract string Confirmation(TrainingDetails training);

    public override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        using var api = new StatusApiClient(environment.ApiUrl(settings.Api), environment);
        var training = await api.GetTrainingAsync(await api.ResolveTrainingIdAsync(settings.Id, cancellationToken), cancellationToken);
        if (Refusal(training) is { } refusal)
        {
            throw new CliException($"training {training.Id} is {training.State}: {refusal}");
        }

        await using var bus = await PipelineBus.ConnectAsync(environment.RabbitMq, cancellationToken);
        await bus.SendAsync(Message(training.Id, settings), cancellationToken);
        console.MarkupLineInterpolated($"{Confirmation(training)}");
        return ExitCodes.Ok;
    }
}
