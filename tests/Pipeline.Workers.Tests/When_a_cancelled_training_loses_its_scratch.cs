using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Contracts;
using Pipeline.Artifacts;
using Pipeline.Hosting.Messaging;
using Pipeline.Trainer.Consumers;
using Pipeline.Trainer.Training;

namespace Pipeline.Workers.Tests;

/// <summary>
/// A cancel also tells every service to drop the training's scratch, so a Trainer can find its dataset gone under a
/// training it was told to stop (seen end to end: the Downloader dropped the images mid-evaluation). That is the
/// cancel's doing: the command ends as stopped, not as a fault that lands in train-model_error.
/// </summary>
public sealed class When_a_cancelled_training_loses_its_scratch : IAsyncLifetime
{
    private readonly WorkerStore workers = new();
    private ServiceProvider provider = null!;
    private ITestHarness harness = null!;

    public async Task InitializeAsync()
    {
        provider = new ServiceCollection()
            .AddSingleton(workers.Store)
            .AddSingleton(workers.Training(WorkerStore.TrainerSettings()))
            .AddSingleton<RunningTrainings>()
            .AddSingleton(Options.Create(WorkerStore.TrainerSettings()))
            .AddSingleton(TimeProvider.System)
            .AddSingleton<TrainingLeases>()
            .AddSingleton<IHostApplicationLifetime, ApplicationLifetime>()
            .AddSingleton<StageStarts>()
            .AddLogging()
            .AddMassTransitTestHarness(bus => bus.AddConsumer<TrainModelConsumer>())
            .BuildServiceProvider(true);
        harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
    }

    public async Task DisposeAsync()
    {
        await provider.DisposeAsync();
        workers.Dispose();
    }

    [Fact]
    public async Task A_TrainModel_whose_dataset_was_dropped_after_its_cancel_ends_without_a_fault()
    {
        var trainingId = Guid.NewGuid();
        // The cancel reached this Trainer, and the Downloader has dropped the dataset: only the command is left.
        provider.GetRequiredService<RunningTrainings>().Cancel(trainingId);

        await harness.Bus.Publish(new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = ArtifactKeys.DatasetManifest(trainingId, 1), Categories = [],
            Hyperparameters = WorkerStore.Quick(5),
        });

        Assert.True(await harness.Consumed.Any<TrainModel>(m => m.Context.Message.TrainingId == trainingId));
        Assert.False(await harness.Published.Any<Fault<TrainModel>>());
        Assert.False(await harness.Published.Any<ModelTrained>());
    }

    [Fact]
    public async Task A_TrainModel_of_an_ended_training_takes_no_lease_and_ends_without_a_fault()
    {
        // A duplicate that waited for the holder to finish, meeting the cleanup that followed: the chaos bench saw one
        // take the lease the cleanup had just dropped (trainer.lease and trainer.lock made again) and fault on the dataset.
        var trainingId = Guid.NewGuid();
        await workers.Store.MarkEndedAsync(trainingId, CancellationToken.None);

        await harness.Bus.Publish(new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = ArtifactKeys.DatasetManifest(trainingId, 1), Categories = [],
            Hyperparameters = WorkerStore.Quick(5),
        });

        Assert.True(await harness.Consumed.Any<TrainModel>(m => m.Context.Message.TrainingId == trainingId));
        Assert.False(await harness.Published.Any<Fault<TrainModel>>());
        Assert.False(workers.Store.Exists(ArtifactKeys.Training(trainingId)));
    }

    [Fact]
    public async Task A_TrainModel_whose_dataset_is_missing_without_a_cancel_still_faults_as_bad_input()
    {
        var trainingId = Guid.NewGuid();

        await harness.Bus.Publish(new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = ArtifactKeys.DatasetManifest(trainingId, 1), Categories = [],
            Hyperparameters = WorkerStore.Quick(5),
        });

        Assert.True(await harness.Published.Any<Fault<TrainModel>>());
        // SelectAsync waits for the harness to go quiet without holding a lock: the synchronous Select can deadlock
        // there (see the Orchestrator tests' SagaTest.WithoutWaiting).
        var fault = (await harness.Published.SelectAsync<Fault<TrainModel>>().ToListAsync()).Single().Context.Message;
        Assert.Equal(typeof(StageInputException).FullName, fault.Exceptions[0].ExceptionType);
    }
}
