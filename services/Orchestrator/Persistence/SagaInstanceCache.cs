using System.Collections.Concurrent;
using MassTransit;

namespace Pipeline.Orchestrator.Persistence;

/// <summary>
/// The instances this process saved last, so that the next message of a training runs on them without reading the
/// document back (one PostgreSQL round trip and a deserialization fewer per saga message). Safe because the saga is
/// the document's only writer, every message ends in a write (MassTransit updates the instance after each one, an
/// ignored event included) and every write carries the revision it read: should another replica have written the
/// training since, the save fails on the revision and the message runs again on the stored state. A message
/// takes its instance out; only a successful save puts it back, so a run that failed half-way never leaves a
/// half-changed instance behind.
/// </summary>
public sealed class SagaInstanceCache<TSaga>
    where TSaga : class, ISagaVersion
{
    /// <summary>Enough for every training in flight; beyond it the older half is forgotten (they are read from the store).</summary>
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<Guid, (TSaga Instance, long SavedAt)> saved = new();
    private long clock;

    public TSaga? Take(Guid correlationId) => saved.TryRemove(correlationId, out var entry) ? entry.Instance : null;

    public void Saved(TSaga instance)
    {
        saved[instance.CorrelationId] = (instance, Interlocked.Increment(ref clock));
        if (saved.Count > Capacity)
        {
            var cutoff = saved.Values.Select(entry => entry.SavedAt).Order().ElementAt(Capacity / 2);
            foreach (var (id, entry) in saved)
            {
                if (entry.SavedAt < cutoff)
                {
                    saved.TryRemove(new KeyValuePair<Guid, (TSaga, long)>(id, entry));
                }
            }
        }
    }
}
