using System.Diagnostics.Metrics;
using Marten;
using Pipeline.Hosting;

namespace Pipeline.Orchestrator;

/// <summary>
/// The gauge <c>pipeline.trainings</c>: how many trainings are in each state, read from the saga's table at most every
/// <see cref="RefreshInterval"/> and in the background, so a scrape never waits on PostgreSQL (the first scrape after a
/// start may have nothing yet). Every Orchestrator reports the same figures: across replicas take the max, not the sum.
/// </summary>
public sealed class TrainingsByState : IDisposable
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(15);

    private readonly IDocumentStore store;
    private readonly TimeProvider clock;
    private readonly ILogger<TrainingsByState> logger;
    private readonly Meter meter;
    private IReadOnlyDictionary<string, long> counts = new Dictionary<string, long>();
    private DateTimeOffset? readAt;
    private int refreshing;

    public TrainingsByState(IDocumentStore store, TimeProvider clock, IMeterFactory meters, ILogger<TrainingsByState> logger)
    {
        (this.store, this.clock, this.logger) = (store, clock, logger);
        meter = meters.Create(PipelineMetrics.MeterName);
        meter.CreateObservableGauge("pipeline.trainings", Observe, unit: "{training}", description: "Trainings in each state now.");
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        if ((readAt is null || clock.GetUtcNow() - readAt >= RefreshInterval) && Interlocked.Exchange(ref refreshing, 1) == 0)
        {
            _ = RefreshAsync();
        }

        return counts.Select(state => new Measurement<long>(state.Value, new KeyValuePair<string, object?>("state", state.Key)));
    }

    private async Task RefreshAsync()
    {
        try
        {
            await using var session = store.QuerySession();
            var states = await session.Query<TrainingState>().Select(training => training.CurrentState).ToListAsync();
            counts = states.GroupBy(state => state).ToDictionary(group => group.Key, group => group.LongCount());
            readAt = clock.GetUtcNow();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A scrape while PostgreSQL is away keeps the last figures; the next one tries again.
            logger.LogWarning("Trainings by state could not be read: {Reason}", e.Message);
        }
        finally
        {
            Volatile.Write(ref refreshing, 0);
        }
    }

    public void Dispose() => meter.Dispose();
}
