using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Contracts;
using Pipeline.Messaging;
using Pipeline.Artifacts;

namespace Pipeline.Orchestrator.Tests;

/// <summary>
/// One saga on MassTransit's in-memory test harness (in-memory saga repository) and the steps of a training:
/// each step publishes a stage's result for the attempt that the saga last sent, as the stage's service would.
/// </summary>
public abstract class SagaTest : IAsyncLifetime
{
    protected const int BatchSize = 4;
    protected const int MaxAttempts = 3;

    private readonly MessagesInFlight inFlight = new();
    private ServiceProvider provider = null!;

    protected ITestHarness Harness { get; private set; } = null!;
    protected ISagaStateMachineTestHarness<TrainingStateMachine, TrainingState> Saga { get; private set; } = null!;
    protected TrainingStateMachine Machine { get; private set; } = null!;
    protected Guid TrainingId { get; } = NewId.NextGuid();
    protected ManualClock Clock { get; } = new();
    protected Guid BaseModelId { get; } = NewId.NextGuid();
    protected Guid ModelId { get; } = NewId.NextGuid();

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Detection:BatchSize"] = BatchSize.ToString(),
                ["Stages:MaxAttempts"] = MaxAttempts.ToString(),
            })
            .Build();
        StageSendConventions.Map();
        provider = new ServiceCollection()
            .AddSingleton<TimeProvider>(Clock)
            .AddReceiveObserver(_ => inFlight)
            .AddTrainingSagaServices(configuration)
            .AddMassTransitTestHarness(bus =>
            {
                bus.SetKebabCaseEndpointNameFormatter();
                bus.AddSagaStateMachine<TrainingStateMachine, TrainingState, TrainingStateDefinition>().InMemoryRepository();
            })
            .BuildServiceProvider(validateScopes: true);
        Harness = provider.GetRequiredService<ITestHarness>();
        Harness.TestTimeout = TimeSpan.FromSeconds(30); // a bound only: a loaded CI machine runs the test projects side by side
        Harness.TestInactivityTimeout = TimeSpan.FromSeconds(1);
        await Harness.Start();
        Saga = Harness.GetSagaStateMachineHarness<TrainingStateMachine, TrainingState>();
        Machine = provider.GetRequiredService<TrainingStateMachine>();
    }

    public async Task DisposeAsync() => await provider.DisposeAsync();

    protected TrainingState Training => SagaNow(TrainingId) ?? throw new Xunit.Sdk.XunitException($"No saga for {TrainingId}.");

    /// <summary>The saga instance as it is now, or null (the harness's Contains waits for one that is not there).</summary>
    protected TrainingState? SagaNow(Guid trainingId) =>
        Saga.Sagas.Select(x => x.CorrelationId == trainingId, WithoutWaiting).Select(x => x.Saga).FirstOrDefault();

    protected Task Publish<T>(T message) where T : class => Harness.Bus.Publish(message);

    protected Task Send<T>(T message) where T : class => Harness.Bus.Send(message);

    /// <summary>
    /// Waits, bounded by the harness's timeout, until the training is in the state and no message is being consumed:
    /// the in-memory repository changes the instance in place, so the state shows before the rest of the transition
    /// (the commands it sends, the batch count) is done.
    /// </summary>
    protected async Task<TrainingState> WaitForState(Func<TrainingStateMachine, State> state)
    {
        var name = state(Machine).Name;
        await Eventually(() => SagaNow(TrainingId)?.CurrentState == name && inFlight.None,
            $"The training never reached {name} and rested there; it is in {SagaNow(TrainingId)?.CurrentState ?? "no state"}.");
        return Training;
    }

    /// <summary>
    /// Passed to the harness's synchronous Select so that it returns what it holds without waiting for more. Waiting,
    /// it holds its list's lock until the harness goes inactive, and when the inactivity token fires just as a new
    /// message wakes it, the token's callback waits for that lock while Select's cleanup waits for the callback: a
    /// clean-clone CI run hung 20 minutes in When_a_stage_falls_silent. What must wait for the harness to go quiet
    /// first waits asynchronously (<see cref="Quiet"/>).
    /// </summary>
    protected static readonly CancellationToken WithoutWaiting = new(canceled: true);

    /// <summary>The command the saga sent for this training with this attempt (the latest one when several, once the harness is quiet).</summary>
    protected async Task<T> Sent<T>(int attempt, Func<T, bool>? filter = null) where T : class
    {
        await Eventually(() => SentCount<T>(attempt, filter) > 0, $"No {typeof(T).Name} with attempt {attempt} was sent.");
        await Quiet();
        return Harness.Sent.Select<T>(x => Matches(x.Context.Message, attempt, filter), WithoutWaiting).Last().Context.Message;
    }

    /// <summary>How many of the commands were sent so far: for polling.</summary>
    protected int SentCount<T>(int attempt, Func<T, bool>? filter = null) where T : class =>
        Harness.Sent.Select<T>(x => Matches(x.Context.Message, attempt, filter), WithoutWaiting).Count();

    /// <summary>How many of the commands were sent once the harness is quiet: for asserting that no more came.</summary>
    protected async Task<int> SentCountOnceQuiet<T>(int attempt, Func<T, bool>? filter = null) where T : class
    {
        await Quiet();
        return SentCount(attempt, filter);
    }

    /// <summary>Waits, bounded by the harness's timeout, until no message has moved for its inactivity timeout.</summary>
    protected async Task Quiet()
    {
        using var timeout = new CancellationTokenSource(Harness.TestTimeout);
        await Harness.InactivityTask.WaitAsync(timeout.Token);
    }

    /// <summary>Waits until the saga published an event of the type that matches.</summary>
    protected Task Published<T>(Func<T, bool> filter) where T : class =>
        Eventually(() => Harness.Published.Select<T>(x => filter(x.Context.Message), WithoutWaiting).Any(), $"No matching {typeof(T).Name} was published.");

    /// <summary>Polls the condition until it holds, bounded by the harness's timeout.</summary>
    protected async Task Eventually(Func<bool> condition, string because)
    {
        using var timeout = new CancellationTokenSource(Harness.TestTimeout);
        while (!condition())
        {
            Assert.False(timeout.IsCancellationRequested, because);
            await Task.Delay(10);
        }
    }

    /// <summary>Counts the messages between their receipt and the end of their consumer (the saga's transaction).</summary>
    private sealed class MessagesInFlight : IReceiveObserver
    {
        private int count;

        public bool None => Volatile.Read(ref count) == 0;

        public Task PreReceive(ReceiveContext context) => Changed(+1);

        public Task PostReceive(ReceiveContext context) => Changed(-1);

        public Task ReceiveFault(ReceiveContext context, Exception exception) => Changed(-1);

        public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

        public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class =>
            Task.CompletedTask;

        private Task Changed(int by)
        {
            Interlocked.Add(ref count, by);
            return Task.CompletedTask;
        }
    }

    /// <summary>Waits until the saga consumed this many messages of the type for the training.</summary>
    protected Task ConsumedCount<T>(int count) where T : class =>
        Eventually(() => Saga.Consumed.Select<T>(x => TrainingIdOf(x.Context.Message) == TrainingId, WithoutWaiting).Count() >= count,
            $"The saga never consumed {count} {typeof(T).Name}.");

    protected Task Begin(Guid? baseModelId = null, DetectionScope detectOn = DetectionScope.AllImages) =>
        Publish(new BeginTraining
        {
            TrainingId = TrainingId, Organization = "zauberzeug", Project = "demo", DatasetUri = "file:///data/shapes/manifest.json",
            BaseModelId = baseModelId, DetectOn = detectOn,
        });

    /// <summary>What a worker says when it takes the stage's command from its queue.</summary>
    protected Task Started(string stage, int attempt) =>
        Publish(new StageStarted { TrainingId = TrainingId, Attempt = attempt, Stage = stage });

    protected Task DataDownloaded(int attempt = 1, int detectionImages = 10) =>
        Publish(new TrainingDataDownloaded
        {
            TrainingId = TrainingId, Attempt = attempt, DatasetKey = "trainings/x/dataset/manifest.json",
            DetectionListKey = "trainings/x/detection-images.json",
            Categories = [new Category { Id = "c1", Name = "circle" }],
            TrainImageCount = 40, TestImageCount = 10, DetectionImageCount = detectionImages,
        });

    protected Task BaseModelDownloaded(int attempt = 1) =>
        Publish(new Contracts.BaseModelDownloaded { TrainingId = TrainingId, Attempt = attempt, ModelId = BaseModelId, ModelKey = "trainings/x/base-model" });

    protected Task ModelTrained(int attempt = 1, double map = 0.8) =>
        Publish(new Contracts.ModelTrained
        {
            TrainingId = TrainingId, Attempt = attempt, ModelKey = "trainings/x/model",
            Metrics = new TrainingMetrics { Iteration = 1500, Loss = 0.1, MeanAveragePrecision = map },
        });

    protected Task ModelUploaded(int attempt = 1) =>
        Publish(new Contracts.ModelUploaded
        {
            TrainingId = TrainingId, Attempt = attempt, ModelId = ModelId, Version = 3, ModelKey = $"models/{ModelId:N}", DescriptionSha256 = RegisteredDescriptionSha256,
        });

    /// <summary>What the registry recorded for the model's model.json, as the ModelUploaded these tests publish carries it.</summary>
    protected const string RegisteredDescriptionSha256 = "5e2c0f6a9d7b4c3e1f8a2b6d4c9e7f1a3b5d8c2e6f4a1b9d7c3e5f2a8b6d4c1e";

    protected Task ImagesDetected(int batchIndex, int attempt = 1, int detections = 2) =>
        Publish(new Contracts.ImagesDetected
        {
            TrainingId = TrainingId, Attempt = attempt, BatchIndex = batchIndex, DetectionsKey = $"trainings/x/detections/batch-{batchIndex:D5}.json",
            ImageCount = BatchSize, DetectionCount = detections,
        });

    protected Task DetectionsUploaded(int attempt = 1) =>
        Publish(new Contracts.DetectionsUploaded
        {
            TrainingId = TrainingId, Attempt = attempt, ImageCount = 10, DetectionCount = 6, ExportKey = "exports/x/detections.coco.json",
        });

    /// <summary>What MassTransit publishes when a stage's consumer gave up on the command: the command and the exception.</summary>
    protected Task Fault<TCommand>(TCommand command, string error) where TCommand : class =>
        Harness.Bus.Publish<Fault<TCommand>>(new MassTransit.Events.FaultEvent<TCommand>(
            command, NewId.NextGuid(), MassTransit.Metadata.HostMetadataCache.Host, new StageInputException(error), [MessageUrn.ForTypeString<TCommand>()]));

    /// <summary>From Detecting with the default ten images: every batch reports, detections are stored, Completed.</summary>
    protected async Task DetectToCompletion()
    {
        await WaitForState(m => m.Detecting);
        for (var batch = 0; batch < 3; batch++)
        {
            await ImagesDetected(batch);
        }

        await WaitForState(m => m.DetectionUploading);
        await DetectionsUploaded();
        await WaitForState(m => m.Completed);
    }

    /// <summary>Walks a fresh training forward until it is in the stage, every step answering attempt 1.</summary>
    protected async Task WalkTo(string stage, bool withBaseModel = false, int detectionImages = 10)
    {
        withBaseModel |= stage == nameof(TrainingStateMachine.TrainModelDownloading);
        await Begin(withBaseModel ? BaseModelId : null);
        await WaitForState(m => m.DataDownloading);
        if (stage == nameof(TrainingStateMachine.DataDownloading))
        {
            return;
        }

        await DataDownloaded(detectionImages: detectionImages);
        if (withBaseModel)
        {
            await WaitForState(m => m.TrainModelDownloading);
            if (stage == nameof(TrainingStateMachine.TrainModelDownloading))
            {
                return;
            }

            await BaseModelDownloaded();
        }

        await WaitForState(m => m.TrainingRunning);
        if (stage == nameof(TrainingStateMachine.TrainingRunning))
        {
            return;
        }

        await ModelTrained();
        await WaitForState(m => m.TrainModelUploading);
        if (stage == nameof(TrainingStateMachine.TrainModelUploading))
        {
            return;
        }

        await ModelUploaded();
        await WaitForState(m => m.Detecting);
        if (stage == nameof(TrainingStateMachine.Detecting))
        {
            return;
        }

        for (var batch = 0; batch < Training.BatchCount; batch++)
        {
            await ImagesDetected(batch);
        }

        await WaitForState(m => m.DetectionUploading);
        if (stage == nameof(TrainingStateMachine.DetectionUploading))
        {
            return;
        }

        throw new ArgumentOutOfRangeException(nameof(stage), stage, "Not a stage with a worker.");
    }

    /// <summary>Publishes the fault of the stage's command that the saga sent with the attempt.</summary>
    protected async Task FaultStage(string stage, int attempt, string error)
    {
        switch (stage)
        {
            case nameof(TrainingStateMachine.DataDownloading): await Fault(await Sent<DownloadTrainingData>(attempt), error); break;
            case nameof(TrainingStateMachine.TrainModelDownloading): await Fault(await Sent<DownloadBaseModel>(attempt), error); break;
            case nameof(TrainingStateMachine.TrainingRunning): await Fault(await Sent<TrainModel>(attempt), error); break;
            case nameof(TrainingStateMachine.TrainModelUploading): await Fault(await Sent<UploadModel>(attempt), error); break;
            case nameof(TrainingStateMachine.Detecting): await Fault(await Sent<DetectImages>(attempt), error); break;
            case nameof(TrainingStateMachine.DetectionUploading): await Fault(await Sent<UploadDetections>(attempt), error); break;
            default: throw new ArgumentOutOfRangeException(nameof(stage), stage, "Not a stage with a worker.");
        }
    }

    /// <summary>How many commands of the stage the saga sent with the attempt.</summary>
    protected int SentForStage(string stage, int attempt) => stage switch
    {
        nameof(TrainingStateMachine.DataDownloading) => SentCount<DownloadTrainingData>(attempt),
        nameof(TrainingStateMachine.TrainModelDownloading) => SentCount<DownloadBaseModel>(attempt),
        nameof(TrainingStateMachine.TrainingRunning) => SentCount<TrainModel>(attempt),
        nameof(TrainingStateMachine.TrainModelUploading) => SentCount<UploadModel>(attempt),
        nameof(TrainingStateMachine.Detecting) => SentCount<DetectImages>(attempt),
        nameof(TrainingStateMachine.DetectionUploading) => SentCount<UploadDetections>(attempt),
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "Not a stage with a worker."),
    };

    public static TheoryData<string> StagesWithWorker =>
    [
        nameof(TrainingStateMachine.DataDownloading), nameof(TrainingStateMachine.TrainModelDownloading),
        nameof(TrainingStateMachine.TrainingRunning), nameof(TrainingStateMachine.TrainModelUploading),
        nameof(TrainingStateMachine.Detecting), nameof(TrainingStateMachine.DetectionUploading),
    ];

    private bool Matches<T>(T message, int attempt, Func<T, bool>? filter) where T : class =>
        message is { } m && TrainingIdOf(m) == TrainingId && AttemptOf(m) == attempt && (filter?.Invoke(m) ?? true);

    // Stage messages carry TrainingId; a Fault<T> carries it on the command that faulted.
    private static Guid TrainingIdOf(object message) =>
        message.GetType().GetProperty("TrainingId") is { } property
            ? (Guid)property.GetValue(message)!
            : TrainingIdOf(message.GetType().GetProperty("Message")!.GetValue(message)!);

    private static int AttemptOf(object message) => (int)message.GetType().GetProperty("Attempt")!.GetValue(message)!;
}
