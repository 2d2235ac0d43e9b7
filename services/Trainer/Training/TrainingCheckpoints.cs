using System.Text.Json;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Artifacts;
using Pipeline.Vision.Training;

namespace Pipeline.Trainer.Training;

/// <summary>
/// A training's checkpoints in the artifact store, each a <see cref="CheckpointFolder"/> named by its iteration: the
/// newest one that loads resumes the training; a new one is written every <paramref name="every"/> iterations and at
/// every new best, and replaces the older ones.
/// </summary>
internal sealed class TrainingCheckpoints(IArtifactStore store, TrainingDevice device, int every, ILogger logger)
{
    /// <summary>
    /// The trainer of the newest checkpoint that loads and the best metrics it recorded, or null to start afresh. A
    /// folder without checkpoint.json is half-written (it is written last) and skipped; a damaged one (a file that does
    /// not match its hash) is deleted and the one before it tried: a checkpoint is scratch, and retrying the same damaged
    /// files would fail forever.
    /// </summary>
    public ResumedTraining? ResumeNewest(Guid trainingId, VisionDataset dataset, Hyperparameters hyperparameters)
    {
        var candidates = store.List(ArtifactKeys.Checkpoints(trainingId))
            .Where(key => key.EndsWith($"/{CheckpointFolder.ContentFile}", StringComparison.Ordinal))
            .OrderDescending(StringComparer.Ordinal)
            .ToList();
        foreach (var key in candidates)
        {
            var folder = new CheckpointFolder(Path.GetDirectoryName(store.GetLocalPath(key))!);
            DetectorTrainer trainer;
            try
            {
                if (folder.Read() is null)
                {
                    continue;
                }

                trainer = folder.Resume(dataset, device.Device, hyperparameters);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                // ChecksumMismatchException is an IOException: the folder cannot be trusted, so it goes.
                logger.LogWarning("Skipping the unreadable or damaged checkpoint {CheckpointKey} of {TrainingId}: {Reason}", key, trainingId, e.Message);
                store.Delete(key[..key.LastIndexOf('/')]);
                continue;
            }

            try
            {
                return new ResumedTraining(trainer, folder.ReadBest());
            }
            catch
            {
                trainer.Dispose();
                throw;
            }
        }

        return null;
    }

    public bool IsDue(int iteration, bool newBest) => newBest || iteration % Math.Max(1, every) == 0;

    /// <summary>Writes the trainer's checkpoint with <paramref name="best"/>, then drops every older one.</summary>
    public void Save(Guid trainingId, DetectorTrainer trainer, TrainingMetrics? best)
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
}

/// <summary>A trainer continued from a checkpoint, and the best evaluation that checkpoint recorded (null before the first).</summary>
internal sealed record ResumedTraining(DetectorTrainer Trainer, TrainingMetrics? Best);
