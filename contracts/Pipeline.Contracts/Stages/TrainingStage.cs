namespace Pipeline.Contracts;

/// <summary>
/// One stage of the learning loop with a worker: the state it runs in and the state that ends it, the command that
/// starts it and the queue that command goes to, and its timeouts as Temporal names them.
/// </summary>
public sealed record TrainingStage
{
    /// <summary>What the command line calls it ("download data").</summary>
    public required string Name { get; init; }

    /// <summary>The state the training is in while the stage's worker is busy.</summary>
    public required string Running { get; init; }

    /// <summary>The state the stage's result leads to.</summary>
    public required string Done { get; init; }

    public required Type Command { get; init; }

    public required string Queue { get; init; }

    /// <summary>
    /// Schedule-to-start: how long the command may wait in its queue before any worker takes it; null waits for ever
    /// (a training behind others on one GPU is waiting, not lost). Past it the training fails, naming the queue.
    /// </summary>
    public required TimeSpan? QueueTimeout { get; init; }

    /// <summary>Heartbeat: how long a started stage may stay silent; every start and every progress report pushes it.</summary>
    public required TimeSpan Timeout { get; init; }
}
