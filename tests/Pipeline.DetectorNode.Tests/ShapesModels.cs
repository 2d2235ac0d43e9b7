using Pipeline.Datasets;
using Pipeline.Artifacts;
using Pipeline.Vision.Models;
using Pipeline.Vision.Training;

namespace Pipeline.DetectorNode.Tests;

/// <summary>
/// A detector trained on the generated shapes dataset, saved with its model.json into an artifact store in a temporary
/// folder, registered as any number of versions of a project (each its own model folder, as the registry keeps them),
/// and the dataset's test images to send.
/// </summary>
public sealed class ShapesModels : IDisposable
{
    private readonly string trained;

    /// <summary>Trains <paramref name="width"/> channels wide at <paramref name="size"/> px; the tests' defaults train in seconds.</summary>
    public ShapesModels(int iterations = 80, int size = 64, int width = 8, int testImages = 16)
    {
        StoreRoot = Path.Combine(Root, "store");
        Store = new FileSystemArtifactStore(StoreRoot);
        var dataset = ShapesDataset.Generate(Path.Combine(Root, "shapes"), new ShapesDatasetOptions
        {
            Seed = 7, TrainImages = 24, TestImages = testImages, Size = size, MinShapeSize = size / 8, MaxShapeSize = size * 5 / 16,
            IncludePointCategory = true, IncludeClassificationCategory = true,
        });
        TestImages = dataset.Test.Select(image => image.Path).ToList();
        var hyperparameters = new Hyperparameters { Iterations = iterations, BatchSize = 8, LearningRate = 3e-3, Resolution = size, FlipRl = true, FlipUd = true };
        using var trainer = new DetectorTrainer(dataset, hyperparameters, options: new TrainingOptions { ModelWidth = width, Seed = 11 });
        foreach (var _ in trainer.Iterate())
        {
        }

        trained = Path.Combine(Root, "trained");
        trainer.Model.Save(trained);
    }

    public string Root { get; } = Directory.CreateTempSubdirectory("detector-node-").FullName;

    public string StoreRoot { get; }

    public IArtifactStore Store { get; }

    /// <summary>PNG files of the shapes dataset's test split.</summary>
    public IReadOnlyList<string> TestImages { get; }

    /// <summary>Registers the trained model as <paramref name="version"/> of the project: its own folder under models/, as the Uploader leaves it.</summary>
    public ModelVersion Register(string organization, string project, int version)
    {
        var id = Guid.NewGuid();
        var key = ArtifactKeys.RegisteredModel(id);
        var folder = Store.GetLocalPath(key);
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(trained))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        var description = DetectorModel.ReadDescription(folder);
        return new ModelVersion
        {
            Id = id, Organization = organization, Project = project, Version = version, TrainingId = Guid.NewGuid(), ModelKey = key,
            Categories = description.Categories, Metrics = description.Metrics ?? new TrainingMetrics(), Files = description.Files,
            CreatedAt = DateTimeOffset.UtcNow,
            // As the Uploader records it: the hash of the model.json it registered.
            DescriptionSha256 = FileHashes.Sha256(Path.Combine(folder, ModelDescription.FileName)),
        };
    }

    /// <summary>The Uploader's announcement that <paramref name="model"/> is current, made at <paramref name="promotedAt"/> (default now).</summary>
    public static ModelPromoted Promotion(ModelVersion model, DateTimeOffset? promotedAt = null) => new()
    {
        Organization = model.Organization, Project = model.Project, ModelId = model.Id, Version = model.Version, ModelKey = model.ModelKey,
        Reason = "promoted by the test", PromotedAt = promotedAt ?? DateTimeOffset.UtcNow, DescriptionSha256 = model.DescriptionSha256,
    };

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
