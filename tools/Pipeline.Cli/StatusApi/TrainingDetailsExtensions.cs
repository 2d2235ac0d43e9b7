using Pipeline.Contracts;

namespace Pipeline.Cli.StatusApi;

public static class TrainingDetailsExtensions
{
    public static bool IsFinished(this TrainingDetails training) =>
        training.State is TrainingStates.Completed or TrainingStates.Failed or TrainingStates.Cancelled;
}
