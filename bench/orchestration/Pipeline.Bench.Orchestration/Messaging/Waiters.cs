using System.Collections.Concurrent;
using System.Diagnostics;

namespace Pipeline.Bench.Orchestration.Messaging;

/// <summary>What the client waits for (a training's end, a ping's pong), completed with the time it was seen.</summary>
public sealed class Waiters
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<Outcome>> pending = new();
    private long transitions;

    public long Transitions => Interlocked.Read(ref transitions);

    public void CountTransition() => Interlocked.Increment(ref transitions);

    public Task<Outcome> Expect(Guid id)
    {
        var waiter = new TaskCompletionSource<Outcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!pending.TryAdd(id, waiter))
        {
            throw new InvalidOperationException($"{id} is awaited already.");
        }

        return waiter.Task;
    }

    public void Complete(Guid id, string end)
    {
        var seen = Stopwatch.GetTimestamp();
        if (pending.TryRemove(id, out var waiter))
        {
            waiter.TrySetResult(new Outcome(end, seen));
        }
    }

    public void Forget(Guid id) => pending.TryRemove(id, out _);

    public readonly record struct Outcome(string End, long SeenAt);
}
