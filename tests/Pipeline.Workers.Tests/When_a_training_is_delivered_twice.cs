using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Tests.Shared;
using Pipeline.Artifacts;
using Pipeline.Contracts;
using Pipeline.Trainer.Training;
using TorchSharp;

namespace Pipeline.Workers.Tests;

/// <summary>
/// The outbox may send a TrainModel twice and RabbitMQ redelivers after a lost connection: a second delivery of one attempt
/// must answer as the first did and never touch the model folder it handed over, which the Uploader may be copying.
/// </summary>
public sealed class When_a_training_is_delivered_twice : IDisposable
{
    private readonly WorkerStore workers = new();

    [Fact]
    public async Task The_second_delivery_of_a_finished_attempt_answers_with_its_model_without_training_or_touching_it()
    {
        var (training, watched) = Training();
        var command = Command(iterations: 4);
        var first = await training.RunAsync(command, new RecordedTrainingEvents(), CancellationToken.None, CancellationToken.None);
        var modelFiles = Snapshot(first.ModelKey);
        watched.Forget();

        var events = new RecordedTrainingEvents();
        var second = await training.RunAsync(command, events, CancellationToken.None, CancellationToken.None);

        Assert.Equivalent(first, second, strict: true);
        Assert.Empty(watched.ChangesUnder(ArtifactKeys.TrainedModel(command.TrainingId, command.Attempt)));
        Assert.Equal(modelFiles, Snapshot(first.ModelKey));
        Assert.Empty(events.Progress);
    }

    [Fact]
    public async Task The_second_delivery_of_a_stopped_attempt_answers_with_the_stop_rather_than_training_on()
    {
        var (training, _) = Training();
        var command = Command(iterations: 30);
        using var stop = new CancellationTokenSource();
        var stopping = new RecordedTrainingEvents(progress =>
        {
            if (progress.Iteration == 3)
            {
                stop.Cancel();
            }
        });
        var first = await training.RunAsync(command, stopping, stop.Token, CancellationToken.None);

        var events = new RecordedTrainingEvents();
        var second = await training.RunAsync(command, events, CancellationToken.None, CancellationToken.None);

        Assert.Equal(4, first.StoppedAtIteration);
        Assert.Equivalent(first, second, strict: true);
        Assert.Empty(events.Progress);
    }

    private (ModelTraining Training, WatchedStore Store) Training()
    {
        var watched = new WatchedStore(workers.Store);
        var settings = WorkerStore.TrainerSettings(evaluateEvery: 2, checkpointEvery: 2);
        return (new ModelTraining(watched, new TrainingDevice(torch.CPU), Options.Create(settings), NullLogger<ModelTraining>.Instance), watched);
    }

    private TrainModel Command(int iterations)
    {
        var trainingId = Guid.NewGuid();
        var (datasetKey, categories) = workers.AddShapesDataset(trainingId);
        return new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = datasetKey, Categories = categories, Hyperparameters = WorkerStore.Quick(iterations),
        };
    }

    /// <summary>Every file under the key with its last write time: a file rewritten, even with the same bytes, shows.</summary>
    private List<string> Snapshot(string key) =>
        [.. workers.Store.List(key).Select(file => $"{file} {File.GetLastWriteTimeUtc(workers.Store.GetLocalPath(file)):O}")];

    public void Dispose() => workers.Dispose();
}
