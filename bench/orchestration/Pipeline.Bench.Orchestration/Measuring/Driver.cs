using System.Diagnostics;
using MassTransit;
using Pipeline.Bench.Orchestration.Messaging;

namespace Pipeline.Bench.Orchestration.Measuring;

/// <summary>
/// Starts <c>count</c> operations (a training, a ping) with at most <c>inFlight</c> awaiting their end at once, and
/// times each from just before its first message is sent to the moment the client consumes its last.
/// </summary>
public sealed class Driver(Waiters waiters)
{
    public sealed record Result(int Started, int Ended, IReadOnlyDictionary<string, int> Ends, double ElapsedSeconds, Percentiles Latency, IReadOnlyList<Guid> Ids)
    {
        public double PerSecond => Ended / ElapsedSeconds;
    }

    private readonly record struct Sample(string End, double Milliseconds, long SeenAt);

    public async Task<Result> Run(int count, int inFlight, TimeSpan bound, Func<Guid, CancellationToken, Task> start)
    {
        // Not disposed: a late end still releases it after a bound was reached.
        var gate = new SemaphoreSlim(inFlight);
        using var timeout = new CancellationTokenSource(bound);
        var samples = new List<Task<Sample>>(count);
        var ids = new List<Guid>(count);
        var began = Stopwatch.GetTimestamp();
        try
        {
            for (var i = 0; i < count; i++)
            {
                await gate.WaitAsync(timeout.Token);
                var id = NewId.NextGuid();
                var seen = waiters.Expect(id);
                var sent = Stopwatch.GetTimestamp();
                await start(id, timeout.Token);
                ids.Add(id);
                samples.Add(Finish(seen, sent, gate));
            }

            await Task.WhenAll(samples).WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"  bound of {bound} reached: {samples.Count(s => s.IsCompletedSuccessfully)} of {count} ended.");
        }

        foreach (var id in ids)
        {
            waiters.Forget(id);
        }

        var ended = samples.Where(s => s.IsCompletedSuccessfully).Select(s => s.Result).ToList();
        var last = ended.Count == 0 ? Stopwatch.GetTimestamp() : ended.Max(s => s.SeenAt);
        return new Result(samples.Count, ended.Count,
            ended.GroupBy(s => s.End).ToDictionary(g => g.Key, g => g.Count()),
            Stopwatch.GetElapsedTime(began, last).TotalSeconds,
            new Percentiles(ended.Select(s => s.Milliseconds)), ids);
    }

    private static async Task<Sample> Finish(Task<Waiters.Outcome> seen, long sent, SemaphoreSlim gate)
    {
        try
        {
            var outcome = await seen;
            return new Sample(outcome.End, Stopwatch.GetElapsedTime(sent, outcome.SeenAt).TotalMilliseconds, outcome.SeenAt);
        }
        finally
        {
            gate.Release();
        }
    }
}
