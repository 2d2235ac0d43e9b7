using Pipeline.Contracts;
using Pipeline.Hosting.Messaging;

namespace Pipeline.Trainer.Consumers;

public sealed class TrainModelConsumerDefinition : StageConsumerDefinition<TrainModelConsumer, TrainModel>
{
    public TrainModelConsumerDefinition()
    {
        EndpointName = StageQueues.TrainModel;
        // One training per device: a second would only halve the speed of both and double the memory.
        ConcurrentMessageLimit = 1;
        // Prefetch 1: a second TrainModel must wait in the queue, free for another Trainer, not in this one's buffer
        // behind a training of hours.
        Endpoint(endpoint => endpoint.PrefetchCount = 1);
        // The Trainer holds its TrainModel delivery unacked for the whole training (hours): RabbitMQ's consumer_timeout
        // is raised to 24 h for that in scripts/infra.sh and docker-compose. So a Trainer that crashes, or whose
        // connection drops, hands the message back to the queue by itself, and another Trainer (or this one restarted)
        // resumes it from the training's last checkpoint. One that is asked to stop checkpoints and hands it back itself.
        // A Trainer that hangs keeps its lease unrenewed: the Orchestrator's watchdog notices the missing heartbeat and
        // sends Attempt + 1, which takes the training over once the lease has gone silent (TrainingLease).
        // No outbox: progress and metrics must leave while the training runs, not when it ends.
    }
}
