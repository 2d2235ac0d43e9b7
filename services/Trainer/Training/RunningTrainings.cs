using System.Collections.Concurrent;

namespace Pipeline.Trainer.Training;

/// <summary>
/// The trainings this process runs, each with a token that a <c>TrainingCancelled</c> or a <c>StageAttemptSuperseded</c>
/// cancels, and one that a <c>TrainingStopRequested</c> sets (the training then ends early and keeps its model). A
/// cancel or a stop that arrives before its TrainModel is remembered for a while, so a command still queued behind it
/// stops at once.
/// </summary>
public sealed class RunningTrainings
{
    private static readonly TimeSpan Remember = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<Guid, Lease> running = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> cancelled = new();
    private readonly ConcurrentDictionary<Guid, (int Attempt, DateTimeOffset At)> stopRequested = new();

    /// <param name="leaseLost">Cancelled when the training's lease goes to a newer attempt: the run stops as if superseded.</param>
    public Lease Start(Guid trainingId, int attempt, CancellationToken consumeToken, CancellationToken leaseLost = default)
    {
        var lease = new Lease(this, trainingId, attempt, CancellationTokenSource.CreateLinkedTokenSource(consumeToken));
        running[trainingId] = lease;
        lease.StopWhen(leaseLost);
        if (cancelled.ContainsKey(trainingId))
        {
            lease.Stop();
        }

        if (stopRequested.TryGetValue(trainingId, out var stop) && stop.Attempt == attempt)
        {
            lease.RequestStop();
        }

        return lease;
    }

    /// <returns>Whether a training of that id was running here.</returns>
    public bool Cancel(Guid trainingId)
    {
        var now = DateTimeOffset.UtcNow;
        cancelled[trainingId] = now;
        Forget(cancelled, at => at, now);
        if (running.TryGetValue(trainingId, out var lease))
        {
            lease.Stop();
            return true;
        }

        return false;
    }

    /// <returns>Whether this process was running that attempt of the training, and now has it end after its iteration.</returns>
    public bool RequestStop(Guid trainingId, int attempt)
    {
        var now = DateTimeOffset.UtcNow;
        stopRequested[trainingId] = (attempt, now);
        Forget(stopRequested, stop => stop.At, now);
        if (running.TryGetValue(trainingId, out var lease) && lease.Attempt == attempt)
        {
            lease.RequestStop();
            return true;
        }

        return false;
    }

    private static void Forget<T>(ConcurrentDictionary<Guid, T> remembered, Func<T, DateTimeOffset> at, DateTimeOffset now)
    {
        foreach (var (id, value) in remembered)
        {
            if (now - at(value) > Remember)
            {
                remembered.TryRemove(id, out _);
            }
        }
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
        private readonly CancellationTokenSource stopSource = new();
        private volatile bool stopped;
        private CancellationTokenRegistration registration;

        internal Lease(RunningTrainings owner, Guid trainingId, int attempt, CancellationTokenSource source)
        {
            this.owner = owner;
            this.trainingId = trainingId;
            this.source = source;
            Attempt = attempt;
        }

        public int Attempt { get; }

        public CancellationToken Token => source.Token;

        /// <summary>Set when the training is to end after its current iteration and hand over its best model.</summary>
        public CancellationToken StopToken => stopSource.Token;

        /// <summary>True when a cancel or a newer attempt stopped it, not the host shutting down.</summary>
        public bool CancelledByRequest => stopped;

        internal void StopWhen(CancellationToken token) => registration = token.Register(Stop);

        internal void Stop()
        {
            stopped = true;
            source.Cancel();
        }

        internal void RequestStop() => stopSource.Cancel();

        public void Dispose()
        {
            owner.running.TryRemove(new KeyValuePair<Guid, Lease>(trainingId, this));
            registration.Dispose();
            source.Dispose();
            stopSource.Dispose();
        }
    }
}
