using System.Collections.Concurrent;
using MassTransit;
using Pipeline.Contracts;
using Pipeline.Artifacts;
using Pipeline.Hosting.Messaging;
using Pipeline.Integration.Tests.EndToEnd;

namespace Pipeline.Bench.Chaos;

/// <summary>A training that takes a while: it says it started, reports progress every second, then writes a real model folder.</summary>
public sealed class SlowTrainModel(IArtifactStore store, StageStarts starts, ChaosOptions options) : IConsumer<TrainModel>
{
    public async Task Consume(ConsumeContext<TrainModel> context)
    {
        var command = context.Message;
        await starts.PublishAsync(TrainingStages.TrainingRunning, command.TrainingId, command.Attempt, context.CancellationToken);
        for (var second = 1; second <= options.TrainSeconds; second++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), context.CancellationToken);
            await context.Publish(new TrainingProgressed
            {
                TrainingId = command.TrainingId, Attempt = command.Attempt, Iteration = second, TotalIterations = options.TrainSeconds, Loss = 1.0 / second,
            });
        }

        await new InstantTrainModelConsumer(store).Consume(context);
    }
}

/// <summary>Drops what the stand-ins wrote (trained model, detection batches), as the Trainer and Detector do.</summary>
public sealed class StandInCleanup(IArtifactStore store) : IConsumer<TrainingReadyForCleanup>
{
    public Task Consume(ConsumeContext<TrainingReadyForCleanup> context)
    {
        store.Delete(ArtifactKeys.TrainedModels(context.Message.TrainingId));
        store.Delete(ArtifactKeys.Detections(context.Message.TrainingId));
        return Task.CompletedTask;
    }
}

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
