using System.Collections.Concurrent;

namespace Pipeline.Trainer.Training;

/// <summary>
/// The trainings this process runs, each with a token that a <c>TrainingCancelled</c> cancels. A cancel that
/// arrives before its TrainModel is remembered for a while, so a command still queued behind it stops at once.
/// </summary>
public sealed class RunningTrainings
{
    private static readonly TimeSpan RememberCancelled = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> running = new();
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> cancelled = new();

    public Lease Start(Guid trainingId, CancellationToken consumeToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(consumeToken);
        running[trainingId] = source;
        if (cancelled.ContainsKey(trainingId))
        {
            source.Cancel();
        }

        return new Lease(this, trainingId, source);
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

        if (running.TryGetValue(trainingId, out var source))
        {
            source.Cancel();
            return true;
        }

        return false;
    }

    public bool WasCancelled(Guid trainingId) => cancelled.ContainsKey(trainingId);

    public sealed class Lease(RunningTrainings owner, Guid trainingId, CancellationTokenSource source) : IDisposable
    {
        public CancellationToken Token => source.Token;

        /// <summary>True when a TrainingCancelled stopped it, not the host shutting down.</summary>
        public bool CancelledByRequest => owner.WasCancelled(trainingId);

        public void Dispose()
        {
            owner.running.TryRemove(new KeyValuePair<Guid, CancellationTokenSource>(trainingId, source));
            source.Dispose();
        }
    }
}
