using Pipeline.Contracts;
using MassTransit;
using Pipeline.Hosting.Messaging;
using Pipeline.Hosting.Storage;
using Pipeline.Orchestrator.Persistence;

namespace Pipeline.Orchestrator;

public sealed class TrainingStateDefinition : SagaDefinition<TrainingState>
{
    public TrainingStateDefinition()
    {
        Endpoint(endpoint => endpoint.Name = StageQueues.Training);
    }

    protected override void ConfigureSaga(
        IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<TrainingState> sagaConfigurator, IRegistrationContext context)
    {
        // PostgreSQL or RabbitMQ away: the message waits in the process (up to Retry:OutageBudget), never goes to _error.
        endpointConfigurator.UseOutageRetry(context);

        // Two events for one training may race (a progress report and a metrics report): the loser's save raises a
        // concurrency exception and the message runs again on the fresh state. No update is lost, only retried. Two
        // copies of one message racing each other: the loser's inbox row conflicts, and its retry finds it consumed.
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Handle<Exception>(WriteConflicts.IsConflict);
            retry.Intervals(10, 25, 50, 100, 200, 400, 800, 1600, 3200);
        });

        // With the transactional outbox on, what the saga sends is written with its state and the relay delivers it;
        // the in-memory outbox then only holds what bypasses it. With it off (the benchmark's baseline), sends leave
        // once the state is saved; a crash between the two is left to redelivery and the watchdog.
        endpointConfigurator.UseInMemoryOutbox(context);

        // Messages of one training wait for each other inside this process; conflicts remain only between processes.
        var partition = endpointConfigurator.CreatePartitioner(Environment.ProcessorCount * 4);
        PartitionByTraining<Contracts.BeginTraining>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.TrainingDataDownloaded>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.BaseModelDownloaded>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.TrainingProgressed>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.TrainingMetricsImproved>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.ModelTrained>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.ModelUploaded>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.ImagesDetected>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.DetectionsUploaded>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.StageTimedOut>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.StageStarted>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.FailedTrainingExpired>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.CancelTraining>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.StopTraining>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Contracts.RetryTraining>(sagaConfigurator, partition, m => m.TrainingId);
        PartitionByTraining<Fault<Contracts.DownloadTrainingData>>(sagaConfigurator, partition, m => m.Message.TrainingId);
        PartitionByTraining<Fault<Contracts.DownloadBaseModel>>(sagaConfigurator, partition, m => m.Message.TrainingId);
        PartitionByTraining<Fault<Contracts.TrainModel>>(sagaConfigurator, partition, m => m.Message.TrainingId);
        PartitionByTraining<Fault<Contracts.UploadModel>>(sagaConfigurator, partition, m => m.Message.TrainingId);
        PartitionByTraining<Fault<Contracts.DetectImages>>(sagaConfigurator, partition, m => m.Message.TrainingId);
        PartitionByTraining<Fault<Contracts.UploadDetections>>(sagaConfigurator, partition, m => m.Message.TrainingId);
    }

    private static void PartitionByTraining<T>(ISagaConfigurator<TrainingState> saga, IPartitioner partition, Func<T, Guid> trainingId)
        where T : class =>
        saga.Message<T>(x => x.UsePartitioner(partition, m => trainingId(m.Message)));
}
