using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Hosting.Artifacts;
using Pipeline.Hosting.Messaging;
using Pipeline.Vision.Data;
using Pipeline.Vision.Evaluation;
using Pipeline.Vision;
using Pipeline.Vision.Models;
using Pipeline.Vision.Training;

namespace Pipeline.Trainer.Training;

/// <summary>
/// One training, start to end, without a bus: reads and checks the dataset (and base model), resumes from the
/// newest checkpoint when there is one, trains, reports progress and every new best mAP, checkpoints, keeps the best
/// evaluation's weights, and hands those over as the model folder (weights + model.json with the sha256 of every
/// file and the metrics, which name their iteration). A stop request ends it after the current iteration.
/// </summary>
public sealed class ModelTraining(IArtifactStore store, TrainingDevice device, IOptions<TrainerSettings> options, ILogger<ModelTraining> logger)
{
    private readonly TrainerSettings settings = options.Value;

    public async Task<TrainingResult> RunAsync(TrainModel command, ITrainingEvents events, CancellationToken stop, CancellationToken cancellationToken)
    {
        var baseDescription = command.BaseModelKey is { } baseKey ? await ReadBaseModelAsync(baseKey, command, cancellationToken) : null;
        // A base model's tensor channels are in its own category order, so the training takes that order.
        var categories = baseDescription?.Categories.Select(d => command.Categories.First(c => c.Id == d.Id)).ToList() ?? command.Categories;
        var dataset = await ReadDatasetAsync(command, categories, cancellationToken);
        var hyperparameters = Validate(command.Hyperparameters);
        var resumed = Resume(command.TrainingId, dataset, hyperparameters);
        var checkpoint = resumed?.From;
        DetectorModel? baseModel = null;
        if (checkpoint is null && baseDescription is not null)
        {
            baseModel = LoadBaseModel(command.BaseModelKey!);
        }

        using var owned = baseModel;
        using var trainer = resumed?.Trainer ?? NewTrainer(dataset, hyperparameters, baseModel);
        var startIteration = trainer.Iteration;
        var best = checkpoint?.ReadBest();
        if (checkpoint is not null)
        {
            logger.LogInformation("Resuming training {TrainingId} from its checkpoint at iteration {Iteration} of {TotalIterations}",
                command.TrainingId, startIteration, hyperparameters.Iterations);
        }
        else
        {
            logger.LogInformation("Training {TrainingId} from {Start}: {TrainImages} train and {TestImages} test images, {Iterations} iterations on {Device}",
                command.TrainingId, baseModel is null ? "scratch" : command.BaseModelKey, dataset.Train.Count, dataset.Test.Count,
                hyperparameters.Iterations, device.Device.type);
        }

        var evaluationImages = dataset.EvaluationImages;
        var clock = Stopwatch.StartNew();
        TimeSpan? lastReport = null;
        var (lossSum, lossCount, lastLoss) = (0.0, 0, 0.0);
        TrainingMetrics? last = null;
        int? stoppedAt = null;
        await foreach (var step in trainer.IterateAsync(cancellationToken))
        {
            (lossSum, lossCount, lastLoss) = (lossSum + step.Loss, lossCount + 1, step.Loss);
            // A stopped training ends here as if this were its last iteration: evaluated, reported, handed over.
            var ending = step.Iteration == step.Iterations || stop.IsCancellationRequested;
            var improved = false;
            TrainingMetrics? evaluated = null;
            if (step.Iteration % Math.Max(1, settings.EvaluateEvery) == 0 || ending)
            {
                evaluated = last = Evaluate(trainer, evaluationImages, step.Iteration, step.Loss);
                if (best is null || last.MeanAveragePrecision > best.MeanAveragePrecision)
                {
                    best = last;
                    improved = true;
                    logger.LogInformation("Training {TrainingId} improved to mAP@0.5 {MeanAveragePrecision:F3} at iteration {Iteration}",
                        command.TrainingId, last.MeanAveragePrecision, step.Iteration);
                    // Before the checkpoint that records it as the best: a checkpoint never names a best it does not hold.
                    await WriteModelAsync(ArtifactKeys.BestModel(command.TrainingId), trainer.Model, best, cancellationToken);
                    await events.MetricsImprovedAsync(
                        new TrainingMetricsImproved { TrainingId = command.TrainingId, Attempt = command.Attempt, Metrics = last }, cancellationToken);
                }
            }

            // Every evaluation is reported with the progress, whatever the interval: the mAP curve needs each point.
            if (evaluated is not null || lastReport is null || clock.Elapsed - lastReport >= settings.ProgressInterval || ending)
            {
                lastReport = clock.Elapsed;
                var done = step.Iteration - startIteration;
                var left = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / done * (step.Iterations - step.Iteration));
                logger.LogInformation("Training {TrainingId} at iteration {Iteration} of {TotalIterations}, loss {Loss:F4}",
                    command.TrainingId, step.Iteration, step.Iterations, lossSum / lossCount);
                await events.ProgressedAsync(new TrainingProgressed
                {
                    TrainingId = command.TrainingId, Attempt = command.Attempt, Iteration = step.Iteration, TotalIterations = step.Iterations,
                    Loss = lossSum / lossCount, ImagesPerSecond = step.ImagesPerSecond, EstimatedTimeLeft = left,
                    MeanAveragePrecision = evaluated?.MeanAveragePrecision,
                }, cancellationToken);
                (lossSum, lossCount) = (0, 0);
            }

            if (improved || step.Iteration % Math.Max(1, settings.CheckpointEvery) == 0)
            {
                SaveCheckpoint(command.TrainingId, trainer, best);
            }

            if (ending && step.Iteration < step.Iterations)
            {
                stoppedAt = step.Iteration;
                logger.LogInformation("Training {TrainingId} stopped at iteration {Iteration} of {TotalIterations}, as requested",
                    command.TrainingId, step.Iteration, step.Iterations);
                break;
            }
        }

        // A training resumed from its very last checkpoint has no iteration left, but its model still needs metrics.
        if (last is null || last.Iteration != trainer.Iteration)
        {
            last = Evaluate(trainer, evaluationImages, trainer.Iteration, lastLoss);
        }

        var (modelKey, metrics) = await HandOverAsync(command, trainer.Model, last, cancellationToken);
        logger.LogInformation(
            "Training {TrainingId} finished at iteration {Iteration}: the model is iteration {ModelIteration}'s, mAP@0.5 {MeanAveragePrecision:F3}, in {ModelKey}",
            command.TrainingId, trainer.Iteration, metrics.Iteration, metrics.MeanAveragePrecision, modelKey);
        var current = await EvaluateCurrentModelAsync(command, categories, evaluationImages, hyperparameters.BatchSize, cancellationToken);
        return new TrainingResult(modelKey, metrics, startIteration, stoppedAt, current);
    }

    /// <summary>
    /// The best evaluation's weights become the model, with their metrics; the final weights when they are as good (on
    /// a tie they are the more trained), or when no best was kept (a checkpoint from before best models were kept).
    /// </summary>
    private async Task<(string ModelKey, TrainingMetrics Metrics)> HandOverAsync(
        TrainModel command, DetectorModel final, TrainingMetrics last, CancellationToken cancellationToken)
    {
        var modelKey = ArtifactKeys.TrainedModel(command.TrainingId, command.Attempt);
        var bestKey = ArtifactKeys.BestModel(command.TrainingId);
        var best = store.Exists(ModelArtifacts.DescriptionKey(bestKey)) ? (await store.ReadDescriptionAsync(bestKey, cancellationToken)).Metrics : null;
        if (best is not null && best.MeanAveragePrecision > last.MeanAveragePrecision)
        {
            await store.CopyVerifiedModelAsync(bestKey, modelKey, cancellationToken);
            return (modelKey, best);
        }

        await WriteModelAsync(modelKey, final, last, cancellationToken);
        return (modelKey, last);
    }

    /// <summary>
    /// The project's current model on the images this training's metrics come from, so the Uploader compares like with
    /// like. The registry's folder is read in place: loading checks every file against its model.json's sha256. A model
    /// that cannot run on this split (other categories, files that do not load) is reported as not comparable rather than
    /// failing a training that itself succeeded.
    /// </summary>
    private async Task<CurrentModelEvaluation?> EvaluateCurrentModelAsync(
        TrainModel command, IReadOnlyList<Contracts.Category> categories, IReadOnlyList<DatasetImage> images, int batchSize,
        CancellationToken cancellationToken)
    {
        if (command.CurrentModel is not { } current)
        {
            return null;
        }

        var evaluation = new CurrentModelEvaluation { ModelId = current.ModelId, Version = current.Version };
        try
        {
            var description = await store.ReadDescriptionAsync(current.ModelKey, cancellationToken);
            var theirs = description.Categories.Select(c => (c.Id, c.Type)).ToHashSet();
            if (!theirs.SetEquals(categories.Select(c => (c.Id, c.Type))))
            {
                return evaluation with
                {
                    NotComparable = $"its categories ({string.Join(", ", description.Categories.Select(c => c.Id))}) are not this training's " +
                        $"({string.Join(", ", categories.Select(c => c.Id))})",
                };
            }

            using var model = DetectorModel.Load(store.GetLocalPath(current.ModelKey), device.Device);
            var result = ModelEvaluator.Evaluate(model, images, batchSize: batchSize);
            NativeHeap.Trim();
            logger.LogInformation("Current model {ModelId} (version {Version}) scores mAP@0.5 {MeanAveragePrecision:F3} on training {TrainingId}'s split",
                current.ModelId, current.Version, result.MeanAveragePrecision, command.TrainingId);
            return evaluation with { MeanAveragePrecision = result.MeanAveragePrecision };
        }
        catch (Exception e) when (e is IOException or InvalidDataException or JsonException)
        {
            logger.LogWarning("Current model {ModelId} cannot be evaluated for training {TrainingId}: {Reason}", current.ModelId, command.TrainingId, e.Message);
            return evaluation with { NotComparable = $"it does not load: {e.Message}" };
        }
    }

    private async Task<VisionDataset> ReadDatasetAsync(TrainModel command, IReadOnlyList<Contracts.Category> categories, CancellationToken cancellationToken)
    {
        if (categories.Count == 0)
        {
            throw new StageInputException("TrainModel names no categories to train.");
        }

        var manifest = await store.ReadAsync<DatasetManifest>(command.DatasetKey, cancellationToken);
        var folder = Path.GetDirectoryName(store.GetLocalPath(command.DatasetKey))!;
        VisionDataset dataset;
        try
        {
            // The training's category order (the base model's, when there is one) is the network's channel order.
            dataset = DatasetLoader.FromManifest(manifest with { Categories = categories }, folder, command.DatasetKey);
        }
        catch (InvalidDataException e)
        {
            throw new StageInputException(e.Message, e);
        }

        if (dataset.Train.Count == 0)
        {
            throw new StageInputException($"The dataset at '{command.DatasetKey}' has no train images ({dataset.Images.Count} images in all).");
        }

        return dataset;
    }

    private static Hyperparameters Validate(Hyperparameters hyperparameters)
    {
        try
        {
            return hyperparameters.Validate();
        }
        catch (ArgumentException e)
        {
            throw new StageInputException(e.Message, e);
        }
    }

    private async Task<ModelDescription> ReadBaseModelAsync(string modelKey, TrainModel command, CancellationToken cancellationToken)
    {
        var description = await store.ReadDescriptionAsync(modelKey, cancellationToken);
        var wanted = command.Categories.Select(c => (c.Id, c.Type)).ToHashSet();
        var has = description.Categories.Select(c => (c.Id, c.Type)).ToHashSet();
        if (!wanted.SetEquals(has))
        {
            var missing = wanted.Except(has).Select(c => $"'{c.Id}' ({c.Type})");
            var extra = has.Except(wanted).Select(c => $"'{c.Id}' ({c.Type})");
            throw new StageInputException(
                $"The base model at '{modelKey}' does not match the training's categories: the training has {Join(missing)} " +
                $"that the model lacks, the model has {Join(extra)} that the training lacks.");
        }

        if (description.Resolution != command.Hyperparameters.Resolution)
        {
            throw new StageInputException(
                $"Hyperparameter Resolution {command.Hyperparameters.Resolution} differs from the base model's {description.Resolution} at '{modelKey}'.");
        }

        return description;
    }

    private DetectorModel LoadBaseModel(string modelKey)
    {
        try
        {
            return DetectorModel.Load(store.GetLocalPath(modelKey), device.Device);
        }
        catch (Exception e) when (ModelLoadFailure.Reason(e, $"Base model at '{modelKey}'") is { } reason)
        {
            throw new StageInputException(reason, e);
        }
    }

    private DetectorTrainer NewTrainer(VisionDataset dataset, Hyperparameters hyperparameters, DetectorModel? baseModel)
    {
        try
        {
            return new DetectorTrainer(dataset, hyperparameters, device.Device, baseModel, new TrainingOptions { ModelWidth = settings.ModelWidth });
        }
        catch (ArgumentException e)
        {
            throw new StageInputException(e.Message, e);
        }
    }

    private static string Join(IEnumerable<string> items) => items.Any() ? string.Join(", ", items) : "none";

    private static TrainingMetrics Evaluate(DetectorTrainer trainer, IReadOnlyList<DatasetImage> images, int iteration, double loss) =>
        trainer.Evaluate(images).ToTrainingMetrics(iteration, loss);

    /// <summary>
    /// The trainer of the newest checkpoint that loads, or null to start afresh. A folder without checkpoint.json is
    /// half-written (it is written last) and skipped; a damaged one (a file that does not match its hash) is deleted
    /// and the one before it tried: a checkpoint is scratch, and retrying the same damaged files would fail forever.
    /// </summary>
    private (DetectorTrainer Trainer, CheckpointFolder From)? Resume(Guid trainingId, VisionDataset dataset, Hyperparameters hyperparameters)
    {
        var candidates = store.List(ArtifactKeys.Checkpoints(trainingId))
            .Where(key => key.EndsWith($"/{CheckpointFolder.ContentFile}", StringComparison.Ordinal))
            .OrderDescending(StringComparer.Ordinal)
            .ToList();
        foreach (var key in candidates)
        {
            var checkpoint = new CheckpointFolder(Path.GetDirectoryName(store.GetLocalPath(key))!);
            try
            {
                if (checkpoint.Read() is null)
                {
                    continue;
                }

                return (checkpoint.Resume(dataset, device.Device, hyperparameters), checkpoint);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                // ChecksumMismatchException is an IOException: the folder cannot be trusted, so it goes.
                logger.LogWarning("Skipping the unreadable or damaged checkpoint {CheckpointKey} of {TrainingId}: {Reason}", key, trainingId, e.Message);
                store.Delete(key[..key.LastIndexOf('/')]);
            }
        }

        return null;
    }

    private void SaveCheckpoint(Guid trainingId, DetectorTrainer trainer, TrainingMetrics? best)
    {
        var root = ArtifactKeys.Checkpoints(trainingId);
        var key = $"{root}/{CheckpointFolder.NameOf(trainer.Iteration)}";
        store.Delete(key);
        // checkpoint.json goes last: until it is written, the previous folder stays the newest complete one.
        new CheckpointFolder(store.GetLocalPath(key)).Write(trainer, best);
        var checkpoints = store.List(root).Select(k => k[..k.LastIndexOf('/')]).Distinct()
            .Where(k => CheckpointFolder.IsCheckpointName(k[(k.LastIndexOf('/') + 1)..]));
        foreach (var older in checkpoints.Where(k => string.CompareOrdinal(k, key) < 0))
        {
            store.Delete(older);
        }
    }

    private async Task WriteModelAsync(string modelKey, DetectorModel model, TrainingMetrics metrics, CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateTempSubdirectory("trainer-model-").FullName;
        try
        {
            model.Metrics = metrics;
            var description = model.Save(scratch);
            store.Delete(modelKey);
            // Every file model.json lists, then model.json itself: a reader that finds model.json finds the whole model.
            foreach (var name in description.Files.Select(f => f.Name).Append(ModelDescription.FileName))
            {
                await using var content = File.OpenRead(Path.Combine(scratch, name));
                await store.WriteAsync($"{modelKey}/{name}", content, cancellationToken);
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
