using System.Security.Cryptography;
using System.Text;
using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Uploader.Tests;

/// <summary>A temporary artifact store and the trained-model folders the Trainer would leave in it.</summary>
public sealed class ScratchStore : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "uploader-store", Guid.NewGuid().ToString("N"));

    public ScratchStore() => Store = new FileSystemArtifactStore(root);

    public FileSystemArtifactStore Store { get; }

    public static UploadModel Command(Guid trainingId, string project, int attempt = 1) => new()
    {
        TrainingId = trainingId, Attempt = attempt, Organization = "acme", Project = project,
        ModelKey = ArtifactKeys.TrainedModel(trainingId, 1),
        Categories = [new Category { Id = "1", Name = "cat" }],
        Metrics = new TrainingMetrics { Iteration = 10, Loss = 0.5, MeanAveragePrecision = 0.7 },
    };

    /// <summary>Writes weights.bin and labels.txt plus a model.json listing their sha256s.</summary>
    public async Task<ModelDescription> WriteTrainedModelAsync(Guid trainingId, string weights = "weights")
    {
        var key = ArtifactKeys.TrainedModel(trainingId, 1);
        var files = new List<ModelFile>();
        foreach (var (name, content) in new[] { ("weights.bin", weights), ("labels.txt", "cat\n") })
        {
            var bytes = Encoding.UTF8.GetBytes(content);
            await Store.WriteAsync($"{key}/{name}", new MemoryStream(bytes));
            files.Add(new ModelFile { Name = name, Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)), Length = bytes.Length });
        }

        var description = new ModelDescription
        {
            Architecture = "tiny", Resolution = 64, Categories = [new Category { Id = "1", Name = "cat" }], Hyperparameters = new(), Files = files,
        };
        await Store.WriteJsonAsync(ModelArtifacts.DescriptionKey(key), description);
        return description;
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
