namespace Pipeline.Hosting.Messaging;

/// <summary>Transient faults are retried in-process this many times before the message goes to the _error queue.</summary>
public sealed class RetrySettings
{
    public const string Section = "Retry";

    public int Limit { get; set; } = 3;
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxInterval { get; set; } = TimeSpan.FromSeconds(5);
}
