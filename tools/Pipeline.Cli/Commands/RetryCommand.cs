using Pipeline.Contracts;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary>Sends RetryTraining: the saga sends a failed training's stage again with the next attempt.</summary>
public sealed class RetryCommand(IAnsiConsole console, CliEnvironment environment)
    : TrainingActionCommand<TrainingIdSettings, RetryTraining>(console, environment)
{
    protected override string? Refusal(TrainingDetails training) =>
        training.State == TrainingStates.Failed ? null : "only a Failed training can be retried.";

    protected override RetryTraining Message(Guid trainingId, TrainingIdSettings settings) => new() { TrainingId = trainingId };

    protected override string Confirmation(TrainingDetails training) =>
        $"retry sent for training {training.Id}: {training.FailedStage} runs again ('pipeline watch {training.Id}' follows it)";
}
