namespace Pipeline.Trainer.Training;

/// <summary>
/// How a run learns that it must end without a result: this process is stopping (<see cref="HandBack"/>: it checkpoints
/// at the end of its iteration and its command goes back to the queue), or its lease is no longer its own
/// (<see cref="StillHeld"/> false: a newer attempt took the training over, so it writes nothing more).
/// </summary>
public sealed record TrainingInterruptions(CancellationToken HandBack, Func<bool> StillHeld)
{
    public static readonly TrainingInterruptions None = new(CancellationToken.None, () => true);

    /// <summary>Throws when the lease went elsewhere: called before every write a newer attempt could be hurt by.</summary>
    public void EnsureStillHeld()
    {
        if (!StillHeld())
        {
            throw new OperationCanceledException("The training's lease belongs to another attempt now: this run writes nothing more.");
        }
    }
}
