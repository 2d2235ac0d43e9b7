namespace Pipeline.Cli;

/// <summary>A mistake or a missing server the user can fix: printed as one clear message, never as a stack trace.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Error) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException NoTraining(Guid id) =>
        new($"no training {id}. 'pipeline list' shows the known ones.", ExitCodes.NotFound);
}
