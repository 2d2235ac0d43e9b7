namespace Pipeline.Orchestrator.Watchdog;

public sealed class WatchdogSettings
{
    public const string Section = "Watchdog";

    /// <summary>How often the watchdog looks for stages past their deadline.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
}
