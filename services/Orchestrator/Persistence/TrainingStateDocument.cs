using Marten;

namespace Pipeline.Orchestrator.Persistence;

public static class TrainingStateDocument
{
    /// <summary>
    /// The saga's table: identity = CorrelationId (the TrainingId), numeric revisions for optimistic concurrency
    /// (<see cref="TrainingState.Version"/> is the revision), and real columns for what the watchdog and the
    /// status API filter on.
    /// </summary>
    public static void Configure(StoreOptions options) =>
        options.Schema.For<TrainingState>()
            .Identity(x => x.CorrelationId)
            .UseNumericRevisions(true)
            .Duplicate(x => x.CurrentState)
            .Duplicate(x => x.StageDeadline);
}
