using System.Reflection;
using Pipeline.Contracts;
using MassTransit;
using Pipeline.Hosting.Messaging;
using Pipeline.Storage;

namespace Pipeline.Orchestrator;

public sealed class TrainingStateDefinition : SagaDefinition<TrainingState>
{
    private static readonly TimeSpan ConflictMinInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan ConflictMaxInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ConflictIntervalDelta = TimeSpan.FromMilliseconds(20);

    public TrainingStateDefinition()
    {
        Endpoint(endpoint => endpoint.Name = StageQueues.Training);
    }

    protected override void ConfigureSaga(
        IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<TrainingState> sagaConfigurator, IRegistrationContext context)
    {
        // PostgreSQL or RabbitMQ away: the message waits in the process (up to Retry:OutageBudget); one that outlasts it
        // goes to training-state_error, and SagaErrorRecovery brings it back once PostgreSQL answers.
        endpointConfigurator.UseOutageRetry(context);

        // Two events for one training may race (a progress report and a metrics report): the loser's save raises a
        // concurrency exception and the message runs again on the fresh state. No update is lost, only retried. Two
        // copies of one message racing each other: the loser's inbox row conflicts, and its retry finds it consumed.
        // Retried until it passes: every conflict means another writer got through, so a storm ends; a bound would drop
        // an event (a lost Stop, a lost result) because others were busy. The backoff is capped and jittered.
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Handle<Exception>(WriteConflicts.IsConflict);
            retry.Exponential(int.MaxValue, ConflictMinInterval, ConflictMaxInterval, ConflictIntervalDelta);
        });

        // With the transactional outbox on, what the saga sends is written with its state and the relay delivers it;
        // the in-memory outbox then only holds what bypasses it. With it off (the benchmark's baseline), sends leave
        // once the state is saved; a crash between the two is left to redelivery and the watchdog.
        endpointConfigurator.UseInMemoryOutbox(context);

        // Messages of one training wait for each other inside this process; conflicts remain only between processes.
        // Every event the machine handles names its training (a fault: on the faulted command), read the one way.
        var partition = endpointConfigurator.CreatePartitioner(Environment.ProcessorCount * 4);
        var machine = context.GetRequiredService<TrainingStateMachine>();
        var partitionByTraining = typeof(TrainingStateDefinition).GetMethod(nameof(PartitionByTraining), BindingFlags.NonPublic | BindingFlags.Static)!;
        foreach (var messageType in MessageTypes(machine))
        {
            partitionByTraining.MakeGenericMethod(messageType).Invoke(null, [sagaConfigurator, partition]);
        }
    }

    /// <summary>The messages the machine's events carry (not its own events of entering or leaving a state).</summary>
    public static IReadOnlyList<Type> MessageTypes(TrainingStateMachine machine) =>
        [.. machine.Events
            .Select(e => e.GetType().GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(Event<>)))
            .OfType<Type>().Select(i => i.GetGenericArguments()[0]).Distinct()];

    private static void PartitionByTraining<T>(ISagaConfigurator<TrainingState> saga, IPartitioner partition)
        where T : class
    {
        var trainingId = TrainingIdOf<T>.Read
            ?? throw new InvalidOperationException($"{typeof(T).Name} names no TrainingId: the saga cannot tell which training it is for.");
        saga.Message<T>(x => x.UsePartitioner(partition, m => trainingId(m.Message)));
    }
}
