using System.Text.Json;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Artifacts;
using Pipeline.Vision.Evaluation;
using Pipeline.Vision;
using Pipeline.Vision.Models;
using Pipeline.Vision.Training;

namespace Pipeline.Trainer.Training;

/// <summary>
/// One training, start to end, without a bus: reads and checks the dataset (and base model), resumes from the
/// newest checkpoint when there is one, trains, reports progress and every new best mAP, checkpoints, keeps the best
/// evaluation's weights, and hands those over as the model folder (weights + model.json with the sha256 of every
/// file and the metrics, which name their iteration). A stop request ends it after the current iteration. The loop's
/// parts are types of their own: <see cref="TrainingCheckpoints"/> (resume, checkpoints), <see cref="TrainingEvaluation"/>
/// (periodic evaluation, the best model, the handover) and <see cref="ProgressReporter"/>.
/// </summary>
public sealed class ModelTraining(IArtifactStore store, TrainingDevice device, IOptions<TrainerSettings> options, ILogger<ModelTraining> logger)
{
    private readonly TrainerSettings settings = options.Value;

    public async Task<TrainingResult> RunAsync(
        TrainModel command, ITrainingEvents events, CancellationToken stop, CancellationToken cancellationToken, TrainingInterruptions? interruptions = null)
    {
        interruptions ??= TrainingInterruptions.None;
        // The attempt's model folder is written once, with its result (WriteOnceFolders): a second delivery of the attempt
        // answers with it instead of training again and rewriting the folder under the Uploader.
        var modelKey = ArtifactKeys.TrainedModel(command.TrainingId, command.Attempt);
        if (await store.ReadOutcomeAsync<TrainingResult>(modelKey, cancellationToken) is { } trained)
        {
            logger.LogInformation("Training {TrainingId} attempt {Attempt} handed over its model already: answering with it", command.TrainingId, command.Attempt);
            return trained;
        }

        var baseDescription = command.BaseModelKey is { } baseKey ? await ReadBaseModelAsync(baseKey, command, cancellationToken) : null;
        // A base model's tensor channels are in its own category order, so the training takes that order.
        var categories = baseDescription?.Categories.Select(d => command.Categories.First(c => c.Id == d.Id)).ToList() ?? command.Categories;
        var dataset = await ReadDatasetAsync(command, categories, cancellationToken);
        var hyperparameters = Validate(command.Hyperparameters);

        // The newest checkpoint that loads, else the base model, else random weights.
        var checkpoints = new TrainingCheckpoints(store, device, settings.CheckpointEvery, logger);
        var resumed = checkpoints.ResumeNewest(command.TrainingId, dataset, hyperparameters);
        using var baseModel = resumed is null && baseDescription is not null ? LoadBaseModel(command.BaseModelKey!) : null;
        using var trainer = resumed?.Trainer ?? NewTrainer(dataset, hyperparameters, baseModel);
        var startIteration = trainer.Iteration;
        LogStart(command, resumed is not null, baseModel is not null, startIteration, dataset, hyperparameters);

        var evaluationImages = dataset.EvaluationImages;
        var evaluation = new TrainingEvaluation(command, evaluationImages, settings.EvaluateEvery, resumed?.Best, store, events, logger);
        var progress = new ProgressReporter(command, events, settings.ProgressInterval, startIteration, logger);
        TrainingStep? lastStep = null;
        int? stoppedAt = null;
        var checkpointed = startIteration;
        try
        {
            await foreach (var step in trainer.IterateAsync(cancellationToken))
            {
                lastStep = step;
                // A stopped training ends here as if this were its last iteration: evaluated, reported, handed over.
                var ending = step.Iteration == step.Iterations || stop.IsCancellationRequested;
                var evaluated = await evaluation.AfterStepAsync(trainer, step, ending, cancellationToken);
                await progress.AfterStepAsync(step, evaluated?.Metrics, ending, cancellationToken);
                if (checkpoints.IsDue(step.Iteration, newBest: evaluated?.IsNewBest == true))
                {
                    interruptions.EnsureStillHeld();
                    checkpoints.Save(command.TrainingId, trainer, evaluation.Best);
                    checkpointed = step.Iteration;
                }

                if (ending && step.Iteration < step.Iterations)
                {
                    stoppedAt = step.Iteration;
                    logger.LogInformation("Training {TrainingId} stopped at iteration {Iteration} of {TotalIterations}, as requested",
                        command.TrainingId, step.Iteration, step.Iterations);
                    break;
                }

                if (!ending)
                {
                    interruptions.HandBack.ThrowIfCancellationRequested();
                }
            }
        }
        catch (OperationCanceledException) when (interruptions.HandBack.IsCancellationRequested)
        {
            // This Trainer is stopping: the iteration it was in is done, so what it learnt so far is kept for whoever resumes.
            if (trainer.Iteration > checkpointed)
            {
                interruptions.EnsureStillHeld();
                checkpoints.Save(command.TrainingId, trainer, evaluation.Best);
            }

            logger.LogInformation("Training {TrainingId} checkpointed at iteration {Iteration} of {TotalIterations}: this Trainer is stopping",
                command.TrainingId, trainer.Iteration, hyperparameters.Iterations);
            throw;
        }

        interruptions.EnsureStillHeld();
        var staging = ArtifactKeys.Staging(modelKey);
        var metrics = await evaluation.HandOverAsync(trainer, staging, lastStep?.Loss ?? 0, cancellationToken);
        logger.LogInformation(
            "Training {TrainingId} finished at iteration {Iteration}: the model is iteration {ModelIteration}'s, mAP@0.5 {MeanAveragePrecision:F3}, in {ModelKey}",
            command.TrainingId, trainer.Iteration, metrics.Iteration, metrics.MeanAveragePrecision, modelKey);
        var current = await EvaluateCurrentModelAsync(command, categories, evaluationImages, hyperparameters.BatchSize, cancellationToken);
        return await store.CompleteAsync(staging, modelKey, new TrainingResult(modelKey, metrics, startIteration, stoppedAt, current), cancellationToken);
    }

    private void LogStart(TrainModel command, bool resumed, bool fromBaseModel, int startIteration, VisionDataset dataset, Hyperparameters hyperparameters)
    {
        if (resumed)
        {
            logger.LogInformation("Resuming training {TrainingId} from its checkpoint at iteration {Iteration} of {TotalIterations}",
                command.TrainingId, startIteration, hyperparameters.Iterations);
        }
        else
        {
            logger.LogInformation("Training {TrainingId} from {Start}: {TrainImages} train and {TestImages} test images, {Iterations} iterations on {Device}",
                command.TrainingId, fromBaseModel ? command.BaseModelKey : "scratch", dataset.Train.Count, dataset.Test.Count,
                hyperparameters.Iterations, device.Device.type);
        }
    }

    /// <summary>
    /// The project's current model on the images this training's metrics come from, so the Uploader compares like with
    /// like. The registry's folder is read in place: loading checks model.json against the registry's record of it and
    /// every other file against model.json's sha256. A model
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

            using var model = DetectorModel.Load(store.GetLocalPath(current.ModelKey), device.Device, current.DescriptionSha256);
            var result = ModelEvaluator.Evaluate(model, images, batchSize: batchSize);
            NativeHeap.Trim();
            logger.LogInformation("Current model {ModelId} (version {Version}) scores mAP@0.5 {MeanAveragePrecision:F3} on training {TrainingId}'s split",
                current.ModelId, current.Version, result.MeanAveragePrecision, command.TrainingId);
            return evaluation with { MeanAveragePrecision = result.MeanAveragePrecision };
        }
        // StageInputException: its model.json is missing or unreadable (a registry entry whose files are gone).
        catch (Exception e) when (e is IOException or InvalidDataException or JsonException or StageInputException)
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
}
