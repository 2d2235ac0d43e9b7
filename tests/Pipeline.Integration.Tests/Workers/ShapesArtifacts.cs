using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Artifacts;
using Pipeline.Vision.Models;

namespace Pipeline.Integration.Tests.Workers;

/// <summary>Generated shapes datasets (and an untrained model) put where the Downloader and Uploader would put them.</summary>
public static class ShapesArtifacts
{
    /// <summary>The contracts manifest at <see cref="ArtifactKeys.DatasetManifest"/>, the images beside it, and the detection list of every image.</summary>
    public static (string DatasetKey, IReadOnlyList<Category> Categories) AddDataset(IArtifactStore store, Guid trainingId, int train = 8, int test = 4)
    {
        var folder = store.GetLocalPath(ArtifactKeys.Dataset(trainingId, 1));
        var dataset = ShapesDataset.Generate(folder, new ShapesDatasetOptions
        {
            Seed = 5, TrainImages = train, TestImages = test, Size = 64, MinShapeSize = 8, MaxShapeSize = 20,
        });
        // ShapesDataset writes the pipeline's manifest.json beside its images: where the Downloader puts a dataset.
        store.WriteJsonAsync(ArtifactKeys.DetectionList(trainingId, 1), dataset.Images.Select(i => i.Id).ToList()).GetAwaiter().GetResult();
        return (ArtifactKeys.DatasetManifest(trainingId, 1), dataset.Categories);
    }

    /// <summary>A model folder with random weights and a contracts model.json, as a registered model lies in the store.</summary>
    public static Task<string> AddModelAsync(IArtifactStore store, Guid modelId, IReadOnlyList<Category> categories)
    {
        var key = ArtifactKeys.RegisteredModel(modelId);
        using var model = DetectorModel.Create(categories, width: 8, resolution: 64);
        model.Save(store.GetLocalPath(key));
        return Task.FromResult(key);
    }
}
