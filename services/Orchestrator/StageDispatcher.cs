using MassTransit;
using Pipeline.Registry;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Outbox;

namespace Pipeline.Orchestrator;

/// <summary>
/// Sends the command(s) of the stage a training is in, with its current attempt, and sets the stage's deadline.
/// The first dispatch, a retry after a fault and a watchdog re-dispatch all come through here, so they never differ.
/// </summary>
/// <param name="registry">
/// The model registry, where a training finds the project's current model to compete with; without one (the saga's
/// in-memory tests) no project has a current model.
/// </param>
public sealed class StageDispatcher(
    IOptions<StageSettings> stages, IOptions<DetectionSettings> detection, TimeProvider clock, ModelRegistryReader? registry = null)
{
    public StageSettings Stages => stages.Value;

    public TimeProvider Clock => clock;

    public async Task Dispatch(BehaviorContext<TrainingState> context)
    {
        var training = context.Saga;
        switch (training.CurrentState)
        {
            case TrainingStates.DataDownloading:
                await context.SendDurably(new DownloadTrainingData
                {
                    TrainingId = training.CorrelationId, Attempt = training.Attempt,
                    DatasetUri = training.DatasetUri, DatasetFormat = training.DatasetFormat, DatasetSha256 = training.DatasetSha256,
                    TestDatasetUri = training.TestDatasetUri, TestDatasetSha256 = training.TestDatasetSha256, ImagesFolder = training.ImagesFolder,
                    Categories = training.RequestedCategories, DetectOn = training.DetectOn,
                    Organization = training.Organization, Project = training.Project, IncludeInbox = training.IncludeInbox,
                });
                break;
            case TrainingStates.TrainModelDownloading:
                await context.SendDurably(new DownloadBaseModel
                {
                    TrainingId = training.CorrelationId, Attempt = training.Attempt, ModelId = training.BaseModelId!.Value,
                    DescriptionSha256 = await RegisteredDescriptionOf(training.BaseModelId.Value, context.CancellationToken),
                });
                break;
            case TrainingStates.TrainingRunning:
                await context.SendDurably(new TrainModel
                {
                    TrainingId = training.CorrelationId, Attempt = training.Attempt,
                    DatasetKey = training.DatasetKey!, Categories = training.Categories,
                    Hyperparameters = training.Hyperparameters, BaseModelKey = training.BaseModelKey,
                    CurrentModel = await CurrentModelOf(training, context.CancellationToken),
                });
                break;
            case TrainingStates.TrainModelUploading:
                await context.SendDurably(new UploadModel
                {
                    TrainingId = training.CorrelationId, Attempt = training.Attempt,
                    Organization = training.Organization, Project = training.Project,
                    ModelKey = training.TrainedModelKey!, Categories = training.Categories,
                    Metrics = training.BestMetrics ?? new TrainingMetrics(), CurrentModel = training.CurrentModelEvaluation,
                });
                break;
            case TrainingStates.Detecting:
                await SendDetectionBatches(context);
                break;
            case TrainingStates.DetectionUploading:
                await context.SendDurably(new UploadDetections
                {
                    TrainingId = training.CorrelationId, Attempt = training.Attempt, ModelId = training.ModelId!.Value,
                    DetectionKeys = training.DetectedBatches.Values.Select(batch => batch.DetectionsKey).ToList(),
                    DatasetKey = training.DatasetKey,
                });
                break;
            default:
                throw new InvalidOperationException($"'{training.CurrentState}' is not a stage with a worker: nothing to send.");
        }

        // Waiting in the queue is not silence: until a worker says it started, only the queue timeout runs. A stage that
        // may wait for ever still has a deadline, at which the watchdog looks whether its command still waits.
        var now = clock.GetUtcNow();
        training.StageStartedAt = null;
        training.StageDeadline = now + (Stages.QueueTimeoutOf(training.CurrentState) ?? Stages.TimeoutOf(training.CurrentState));
        training.UpdatedAt = now;
    }

    /// <summary>A command that may wait for ever was found still waiting in its queue: look again after another silence timeout.</summary>
    public void KeepWaiting(TrainingState training)
    {
        var now = clock.GetUtcNow();
        training.StageDeadline = now + Stages.TimeoutOf(training.CurrentState);
        training.UpdatedAt = now;
    }

    /// <summary>The project's current model as the training starts (each attempt asks again): the Trainer measures it on the same test split.</summary>
    private async Task<CurrentModel?> CurrentModelOf(TrainingState training, CancellationToken cancellationToken)
    {
        if (registry is null)
        {
            return null;
        }

        var current = await registry.FindCurrentAsync(training.Organization, training.Project, cancellationToken);
        return current is null
            ? null
            : new CurrentModel { ModelId = current.Id, Version = current.Version, ModelKey = current.ModelKey, DescriptionSha256 = current.DescriptionSha256 };
    }

    /// <summary>The registry's record of a model's model.json, which the Downloader checks the base model's copy against.</summary>
    private async Task<string?> RegisteredDescriptionOf(Guid modelId, CancellationToken cancellationToken) =>
        registry is null ? null : (await registry.FindAsync(modelId, cancellationToken))?.DescriptionSha256;

    /// <summary>A worker started the stage, or reported progress: it has its full silence timeout again.</summary>
    public void PushDeadline(TrainingState training)
    {
        if (!TrainingStateMachine.StagesWithWorker.Contains(training.CurrentState))
        {
            return; // a late report while Failed: no stage runs, no deadline to keep
        }

        var now = clock.GetUtcNow();
        training.StageStartedAt ??= now;
        training.StageDeadline = now + Stages.TimeoutOf(training.CurrentState);
        training.UpdatedAt = now;
    }

    // Entering Detecting sends every batch; a retry or a re-dispatch sends only the batches that never reported, with the
    // new attempt (the reports kept count; a late report of the old attempt is ignored).
    private async Task SendDetectionBatches(BehaviorContext<TrainingState> context)
    {
        var training = context.Saga;
        var batchSize = Math.Max(1, detection.Value.BatchSize);
        var batchCount = (training.DetectionImageCount + batchSize - 1) / batchSize;
        if (batchCount != training.BatchCount)
        {
            training.BatchCount = batchCount;
            training.DetectedBatches.Clear();
        }

        training.DetectionCount = training.DetectedBatches.Values.Sum(batch => batch.DetectionCount);
        for (var index = 0; index < training.BatchCount; index++)
        {
            if (training.DetectedBatches.ContainsKey(index))
            {
                continue;
            }

            var first = index * batchSize;
            await context.SendDurably(new DetectImages
            {
                TrainingId = training.CorrelationId, Attempt = training.Attempt,
                BatchIndex = index, BatchCount = training.BatchCount,
                DatasetKey = training.DatasetKey!, DetectionListKey = training.DetectionListKey!,
                FirstImageIndex = first, ImageCount = Math.Min(batchSize, training.DetectionImageCount - first),
                ModelId = training.ModelId!.Value, ModelKey = training.RegisteredModelKey!,
                ModelDescriptionSha256 = training.RegisteredModelDescriptionSha256,
            });
        }
    }
}
