using System.Text.Json;
using Pipeline.Vision.Models;
using static TorchSharp.torch;

namespace Pipeline.Vision.Training;

/// <summary>
/// One training checkpoint on disk, and the one place that knows its files: the weights, the optimizer state, the best
/// evaluation's metrics so far, and checkpoint.json (iteration, hyperparameters, options, and the sha256 of the weights
/// and the optimizer state). checkpoint.json is written last, through a rename: a folder without it is half-written,
/// one with it is complete. A training's checkpoint folders are named by iteration, so the newest sorts last.
/// </summary>
public sealed class CheckpointFolder(string directory)
{
    public const string ContentFile = "checkpoint.json";
    public const string OptimizerFile = "optimizer.bin";
    public const string BestMetricsFile = "best-metrics.json";
    private const string NamePrefix = "iteration-";

    private string ContentPath => Path.Combine(directory, ContentFile);

    /// <summary>The folder name of the checkpoint taken after <paramref name="iteration"/> iterations; zero-padded, so ordinal order is iteration order.</summary>
    public static string NameOf(int iteration) => $"{NamePrefix}{iteration:D8}";

    /// <summary>Whether a folder beside a training's checkpoints is one of them (its best model lies there too).</summary>
    public static bool IsCheckpointName(string folderName) => folderName.StartsWith(NamePrefix, StringComparison.Ordinal);

    /// <summary>
    /// Writes <paramref name="best"/> (when there is one), the trainer's weights and optimizer state, then checkpoint.json
    /// with their checksums, so the folder never says it holds something it does not.
    /// </summary>
    public void Write(DetectorTrainer trainer, TrainingMetrics? best = null)
    {
        Directory.CreateDirectory(directory);
        if (best is not null)
        {
            File.WriteAllText(Path.Combine(directory, BestMetricsFile), JsonSerializer.Serialize(best, ContractJson.Files));
        }

        trainer.SaveState(Path.Combine(directory, DetectorModel.WeightsFile), Path.Combine(directory, OptimizerFile));
        var content = new TrainingCheckpoint
        {
            Iteration = trainer.Iteration,
            Hyperparameters = trainer.Hyperparameters,
            Options = trainer.Options,
            Model = trainer.Model.Describe([FileHashes.Describe(directory, DetectorModel.WeightsFile), FileHashes.Describe(directory, OptimizerFile)]),
        };
        // A rename: until it, the folder has no checkpoint.json and the previous checkpoint stays the newest complete one.
        File.WriteAllText(ContentPath + ".tmp", JsonSerializer.Serialize(content, ContractJson.Files));
        File.Move(ContentPath + ".tmp", ContentPath, overwrite: true);
    }

    /// <summary>checkpoint.json, or null where it holds JSON null.</summary>
    /// <exception cref="JsonException">it is not a checkpoint's JSON.</exception>
    /// <exception cref="IOException">it cannot be read.</exception>
    public TrainingCheckpoint? Read() =>
        JsonSerializer.Deserialize<TrainingCheckpoint>(File.ReadAllText(ContentPath), ContractJson.Files);

    /// <summary>The best evaluation's metrics when the checkpoint was written; null before the first evaluation.</summary>
    public TrainingMetrics? ReadBest()
    {
        var path = Path.Combine(directory, BestMetricsFile);
        return File.Exists(path) ? JsonSerializer.Deserialize<TrainingMetrics>(File.ReadAllText(path), ContractJson.Files) : null;
    }

    /// <summary>Continues the training: same weights, optimizer state and iteration count, each file checked against checkpoint.json first.</summary>
    /// <param name="hyperparameters">Null keeps the checkpoint's; otherwise e.g. more iterations.</param>
    /// <exception cref="ChecksumMismatchException">a file differs from its checksum (an IOException, as a missing file's).</exception>
    /// <exception cref="InvalidDataException">checkpoint.json is empty, or its categories are not the dataset's.</exception>
    public DetectorTrainer Resume(VisionDataset dataset, Device? device = null, Hyperparameters? hyperparameters = null)
    {
        var content = Read() ?? throw new InvalidDataException($"{ContentPath} is empty");
        FileHashes.Verify(directory, content.Model.Files);
        if (!content.Model.Categories.SequenceEqual(dataset.Categories))
        {
            throw new InvalidDataException($"{ContentPath}: the checkpoint's categories differ from the dataset's");
        }

        var trainer = new DetectorTrainer(dataset, hyperparameters ?? content.Hyperparameters, device, options: content.Options);
        trainer.LoadState(Path.Combine(directory, DetectorModel.WeightsFile), Path.Combine(directory, OptimizerFile), content.Iteration);
        return trainer;
    }
}

/// <summary>checkpoint.json: where the training was, how it trains, and model.json's description of the checkpoint's files.</summary>
public sealed record TrainingCheckpoint
{
    public required int Iteration { get; init; }
    public required Hyperparameters Hyperparameters { get; init; }
    public TrainingOptions Options { get; init; } = new();
    public required ModelDescription Model { get; init; }
}
