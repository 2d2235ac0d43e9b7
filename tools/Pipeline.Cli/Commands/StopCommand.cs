using Pipeline.Contracts;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary>Sends StopTraining: the training ends early, keeps its best model and goes on to detection.</summary>
public sealed class StopCommand(IAnsiConsole console, CliEnvironment environment)
    : TrainingActionCommand<TrainingReasonSettings, StopTraining>(console, environment)
{
    protected override string? Refusal(TrainingDetails training) => training.State == TrainingStates.TrainingRunning
        ? null
        : "only a training in TrainingRunning can be stopped ('pipeline cancel' discards one in any state).";

    protected override StopTraining Message(Guid trainingId, TrainingReasonSettings settings) =>
        new() { TrainingId = trainingId, Reason = settings.Reason ?? "stopped with 'pipeline stop'" };

    protected override string Confirmation(TrainingDetails training) =>
        $"stop sent for training {training.Id}: it keeps its best model so far and goes on to upload and detection";
}
