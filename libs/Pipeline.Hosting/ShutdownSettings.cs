namespace Pipeline.Hosting;

/// <summary>
/// <c>Shutdown:*</c>: how a service stops when it is asked to (SIGTERM from <c>pipeline down</c>, docker-compose or
/// Kubernetes). A command in progress gets <see cref="WorkGrace"/> to finish; past it, its work is cancelled and the
/// command handed back to its queue, counted as nothing. The Trainer does not wait: it checkpoints at the end of the
/// iteration it is in and hands its command back at once. Whatever stops the process must wait at least
/// <see cref="Timeout"/> before it kills it (the runner, docker-compose's stop_grace_period, Kubernetes'
/// terminationGracePeriodSeconds), or a stop becomes a crash.
/// </summary>
public sealed class ShutdownSettings
{
    public const string Section = "Shutdown";

    /// <summary>How long a command in progress may run on after the stop before it is cancelled and handed back.</summary>
    public TimeSpan WorkGrace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The whole stop: the work's grace, the hand-back, and the bus closing (the host's shutdown timeout).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(45);
}
