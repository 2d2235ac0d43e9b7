namespace Pipeline.Hosting.Messaging;

/// <summary>
/// <c>Retry:*</c>. A fault of the work itself is retried <see cref="Limit"/> times before the message goes to the _error
/// queue. A server that is away (PostgreSQL, RabbitMQ) is waited for instead, for up to <see cref="OutageBudget"/>:
/// the message stays in the process, its endpoint's slots stay taken, so the endpoint pauses rather than failing work.
/// </summary>
public sealed class RetrySettings
{
    public const string Section = "Retry";

    public int Limit { get; set; } = 3;
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Deliveries of one command that its worker died on before the command goes to its _error queue.</summary>
    public int CrashLimit { get; set; } = 3;

    public TimeSpan OutageBudget { get; set; } = TimeSpan.FromMinutes(10);
    public TimeSpan OutageMaxInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Waits that double from half a second up to <see cref="OutageMaxInterval"/>, adding up to the budget.</summary>
    public TimeSpan[] OutageIntervals()
    {
        var intervals = new List<TimeSpan>();
        var next = TimeSpan.FromMilliseconds(500);
        for (var total = TimeSpan.Zero; total < OutageBudget; total += next)
        {
            next = next < OutageMaxInterval ? next : OutageMaxInterval;
            intervals.Add(next);
            next *= 2;
        }

        return [.. intervals];
    }
}
