using System.Collections.Concurrent;
using Marten;
using MassTransit;
using Pipeline.Contracts;
using Pipeline.Orchestrator;

namespace Pipeline.Bench.Chaos;

/// <summary>What the bench sees go by: every start of a stage, and every transition.</summary>
public sealed class Observations
{
    private readonly ConcurrentDictionary<(Guid, string), int> highestStarted = new();
    private int superseded;
    private long lastTransitionTicks;

    /// <summary>Starts of an attempt lower than one already started for the same stage: work a newer attempt replaced.</summary>
    public int SupersededExecutions => superseded;

    public DateTime LastTransition => new(Interlocked.Read(ref lastTransitionTicks), DateTimeKind.Utc);

    public void Started(StageStarted started)
    {
        var key = (started.TrainingId, started.Stage);
        var before = highestStarted.AddOrUpdate(key, started.Attempt, (_, highest) => Math.Max(highest, started.Attempt));
        if (before > started.Attempt)
        {
            Interlocked.Increment(ref superseded);
        }
    }

    public void Transitioned() => Interlocked.Exchange(ref lastTransitionTicks, DateTime.UtcNow.Ticks);
}

public sealed class ObservationRecorder(Observations observations) : IConsumer<StageStarted>, IConsumer<TrainingStateChanged>
{
    public Task Consume(ConsumeContext<StageStarted> context)
    {
        observations.Started(context.Message);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<TrainingStateChanged> context)
    {
        observations.Transitioned();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The trainings as the saga stored them, read every second (through every outage: a read that fails keeps the last),
/// and each training seen in a stage's running state without a deadline on two reads in a row.
/// </summary>
public sealed class TrainingWatch(IDocumentStore store)
{
    private readonly HashSet<Guid> withoutDeadline = [];
    private HashSet<Guid> withoutDeadlineLastRead = [];
    private volatile IReadOnlyList<TrainingState> latest = [];

    public IReadOnlyList<TrainingState> Latest => latest;

    public IReadOnlyCollection<Guid> WithoutDeadline
    {
        get
        {
            lock (withoutDeadline)
            {
                return [.. withoutDeadline];
            }
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var session = store.QuerySession();
                latest = await session.Query<TrainingState>().ToListAsync(cancellationToken);
                var now = latest.Where(t => TrainingStages.Find(t.CurrentState) is not null && t.StageDeadline is null).Select(t => t.CorrelationId).ToHashSet();
                lock (withoutDeadline)
                {
                    withoutDeadline.UnionWith(now.Intersect(withoutDeadlineLastRead));
                }

                withoutDeadlineLastRead = now;
            }
            catch (Exception exception) when (exception is Npgsql.NpgsqlException or Marten.Exceptions.MartenCommandException or InvalidOperationException)
            {
                // The database is away: keep the last read.
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>True once the trainings satisfy <paramref name="condition"/>; false when <paramref name="bound"/> passed first.</summary>
    public async Task<bool> WaitUntilAsync(Func<IReadOnlyList<TrainingState>, bool> condition, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!condition(latest))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(200);
        }

        return true;
    }
}
