using System.Collections.Concurrent;

namespace Pipeline.Trainer.Training;

/// <summary>
/// The trainings this process runs, each with a token that a <c>TrainingCancelled</c> or a <c>StageAttemptSuperseded</c>
/// cancels. A cancel that arrives before its TrainModel is remembered for a while, so a command still queued behind it
/// stops at once.
/// </summary>
public sealed class RunningTrainings
{
    private static readonly TimeSpan RememberCancelled = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<Guid, Lease> running = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> cancelled = new();

    public Lease Start(Guid trainingId, int attempt, CancellationToken consumeToken)
    {
        var lease = new Lease(this, trainingId, attempt, CancellationTokenSource.CreateLinkedTokenSource(consumeToken));
        running[trainingId] = lease;
        if (cancelled.ContainsKey(trainingId))
        {
            lease.Stop();
        }

        return lease;
    }

    /// <returns>Whether a training of that id was running here.</returns>
    public bool Cancel(Guid trainingId)
    {
        var now = DateTimeOffset.UtcNow;
        cancelled[trainingId] = now;
        foreach (var (id, at) in cancelled)
        {
            if (now - at > RememberCancelled)
            {
                cancelled.TryRemove(id, out _);
            }
        }

        if (running.TryGetValue(trainingId, out var lease))
        {
            lease.Stop();
            return true;
        }

        return false;
    }

    /// <returns>Whether this process was running that attempt (or an older one) of the training, and now stops it.</returns>
    public bool Supersede(Guid trainingId, int attempt)
    {
        if (running.TryGetValue(trainingId, out var lease) && lease.Attempt <= attempt)
        {
            lease.Stop();
            return true;
        }

        return false;
    }

    public sealed class Lease : IDisposable
    {
        private readonly RunningTrainings owner;
        private readonly Guid trainingId;
        private readonly CancellationTokenSource source;
        private volatile bool stopped;

        internal Lease(RunningTrainings owner, Guid trainingId, int attempt, CancellationTokenSource source)
        {
            this.owner = owner;
            this.trainingId = trainingId;
            this.source = source;
            Attempt = attempt;
        }

        public int Attempt { get; }

        public CancellationToken Token => source.Token;

        /// <summary>True when a cancel or a newer attempt stopped it, not the host shutting down.</summary>
        public bool CancelledByRequest => stopped;

        internal void Stop()
        {
            stopped = true;
            source.Cancel();
        }

        public void Dispose()
        {
            owner.running.TryRemove(new KeyValuePair<Guid, Lease>(trainingId, this));
            source.Dispose();
        }
    }
}
