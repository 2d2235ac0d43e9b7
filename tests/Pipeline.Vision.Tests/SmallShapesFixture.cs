using Pipeline.Vision.Models;

namespace Pipeline.Vision.Tests;

/// <summary>A small generated dataset (64 px, box, point and classification categories), made once per test class.</summary>
public sealed class SmallShapesFixture : IDisposable
{
    public SmallShapesFixture()
    {
        Dataset = ShapesDataset.Generate(Folder, new ShapesDatasetOptions
        {
            Seed = 7, TrainImages = 24, TestImages = 6, Size = 64, MinShapeSize = 8, MaxShapeSize = 20,
            IncludePointCategory = true, IncludeClassificationCategory = true,
        });
    }

    public string Folder { get; } = Directory.CreateTempSubdirectory("vision-shapes-").FullName;
    public VisionDataset Dataset { get; }

    public static Hyperparameters Quick(int iterations) => new()
    {
        Iterations = iterations, BatchSize = 8, LearningRate = 3e-3, Resolution = 64, FlipRl = true, FlipUd = true,
    };

    /// <summary>A narrow network and a fixed seed: fast, and the same losses run after run.</summary>
    public static TrainingOptions Options { get; } = new() { ModelWidth = 8, Seed = 11 };

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
