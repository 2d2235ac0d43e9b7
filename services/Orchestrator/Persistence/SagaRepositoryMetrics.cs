using System.Diagnostics.Metrics;

namespace Pipeline.Orchestrator.Persistence;

/// <summary>How often a saga write lost a race to a concurrent one (and its message was retried on fresh state).</summary>
public static class SagaRepositoryMetrics
{
    public const string MeterName = "Pipeline.Orchestrator";
    public const string ConcurrencyConflicts = "pipeline.saga.concurrency_conflicts";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Conflicts = Meter.CreateCounter<long>(ConcurrencyConflicts, description: "Saga writes rejected by optimistic concurrency.");

    public static void ConflictDetected(string sagaType) => Conflicts.Add(1, new KeyValuePair<string, object?>("saga", sagaType));
}
