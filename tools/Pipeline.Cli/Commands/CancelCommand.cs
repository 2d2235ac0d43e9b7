using Pipeline.Contracts;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary>Sends CancelTraining: the training is discarded, in any state but the ends.</summary>
public sealed class CancelCommand(IAnsiConsole console, CliEnvironment environment)
    : TrainingActionCommand<TrainingReasonSettings, CancelTraining>(console, environment)
{
    protected override string? Refusal(TrainingDetails training) =>
        training.State is TrainingStates.Completed or TrainingStates.Cancelled ? "there is nothing to cancel." : null;

    protected override CancelTraining Message(Guid trainingId, TrainingReasonSettings settings) =>
        new() { TrainingId = trainingId, Reason = settings.Reason ?? "cancelled with 'pipeline cancel'" };

    protected override string Confirmation(TrainingDetails training) => $"cancel sent for training {training.Id} (was {training.State})";
}
