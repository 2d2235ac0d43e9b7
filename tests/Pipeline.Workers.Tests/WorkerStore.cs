using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Detector;
using Pipeline.Detector.Detection;
using Pipeline.Artifacts;
using Pipeline.Trainer;
using Pipeline.Trainer.Training;
using TorchSharp;

namespace Pipeline.Workers.Tests;

/// <summary>An artifact store in a temporary folder, with generated shapes datasets and the work classes on top of it.</summary>
public sealed class WorkerStore : IDisposable
{
    public WorkerStore()
    {
        Store = new FileSystemArtifactStore(Root);
    }

    public string Root { get; } = Directory.CreateTempSubdirectory("workers-store-").FullName;

    public IArtifactStore Store { get; }

    public static Hyperparameters Quick(int iterations) => new()
    {
        Iterations = iterations, BatchSize = 4, LearningRate = 3e-3, Resolution = 64, FlipRl = true,
    };

    public static TrainerSettings TrainerSettings(int evaluateEvery = 100, int checkpointEvery = 100) => new()
    {
        Device = "cpu", ModelWidth = 8, ProgressInterval = TimeSpan.Zero, EvaluateEvery = evaluateEvery, CheckpointEvery = checkpointEvery,
    };

    public ModelTraining Training(TrainerSettings settings) =>
        new(Store, new TrainingDevice(torch.CPU), Options.Create(settings), NullLogger<ModelTraining>.Instance);

    public BatchDetection Detection(DetectorSettings? settings = null)
    {
        var options = Options.Create(settings ?? new DetectorSettings { Device = "cpu", MinConfidence = 0.05f });
        var cache = new ModelCache(Store, new DetectionDevice(torch.CPU), options, NullLogger<ModelCache>.Instance);
        return new BatchDetection(Store, cache, options, NullLogger<BatchDetection>.Instance);
    }

    /// <summary>
    /// Writes a generated shapes dataset where the Downloader would: the contracts manifest at
    /// <see cref="ArtifactKeys.DatasetManifest"/>, the images beside it, and the detection list of every image.
    /// </summary>
    public (string DatasetKey, IReadOnlyList<Contracts.Category> Categories) AddShapesDataset(Guid trainingId, int train = 8, int test = 4, int seed = 3)
    {
        var folder = Store.GetLocalPath(ArtifactKeys.Dataset(trainingId, 1));
        var dataset = ShapesDataset.Generate(folder, new ShapesDatasetOptions
        {
            Seed = seed, TrainImages = train, TestImages = test, Size = 64, MinShapeSize = 8, MaxShapeSize = 20,
        });
        // ShapesDataset writes the pipeline's manifest.json beside its images: where the Downloader puts a dataset.
        var key = ArtifactKeys.DatasetManifest(trainingId, 1);
        Store.WriteJsonAsync(ArtifactKeys.DetectionList(trainingId, 1), dataset.Images.Select(i => i.Id).ToList()).GetAwaiter().GetResult();
        return (key, dataset.Categories);
    }
    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>Records what a training reports; an optional hook runs on each progress (to stop a training mid-way).</summary>
public sealed class RecordedTrainingEvents(Action<TrainingProgressed>? onProgress = null) : ITrainingEvents
{
    public List<TrainingProgressed> Progress { get; } = [];
    public List<TrainingMetricsImproved> Improvements { get; } = [];

    public Task ProgressedAsync(TrainingProgressed progress, CancellationToken cancellationToken)
    {
        Progress.Add(progress);
        onProgress?.Invoke(progress);
        return Task.CompletedTask;
    }

    public Task MetricsImprovedAsync(TrainingMetricsImproved improved, CancellationToken cancellationToken)
    {
        Improvements.Add(improved);
        return Task.CompletedTask;
    }
}
