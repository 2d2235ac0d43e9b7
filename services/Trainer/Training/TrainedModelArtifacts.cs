using Pipeline.Contracts;
using Pipeline.Artifacts;
using Pipeline.Vision.Models;

namespace Pipeline.Trainer.Training;

/// <summary>
/// A trained model written into the artifact store as a model folder: weights and model.json with its metrics. The folder is
/// replaced: write the training's best model here, or an attempt's model into its staging folder (never the attempt's own).
/// </summary>
internal static class TrainedModelArtifacts
{
    public static async Task WriteModelAsync(
        this IArtifactStore store, string modelKey, DetectorModel model, TrainingMetrics metrics, CancellationToken cancellationToken)
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
