namespace Pipeline.Cli;

/// <summary>Distinct exit codes, so scripts can tell a failed training from a typo.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int NotFound = 3;
    public const int ServerUnavailable = 4;
    public const int TrainingFailed = 10;
    public const int TrainingCancelled = 11;
    public const int Interrupted = 130;
}
