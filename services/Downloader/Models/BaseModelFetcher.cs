using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Models;

/// <summary>Copies a registered model into the training's scratch, every file checked against its model.json.</summary>
public sealed class BaseModelFetcher(IArtifactStore store, ILogger<BaseModelFetcher> logger)
{
    /// <returns>The artifact key of the training's verified copy.</returns>
    public async Task<string> FetchAsync(Guid trainingId, int attempt, Guid modelId, CancellationToken cancellationToken)
    {
        var registered = ArtifactKeys.RegisteredModel(modelId);
        if (!store.Exists(ModelArtifacts.DescriptionKey(registered)))
        {
            throw new StageInputException($"Model {modelId} is not in the registry (no {ModelDescription.FileName} at '{registered}').");
        }

        var target = ArtifactKeys.BaseModel(trainingId, attempt);
        var description = await store.CopyVerifiedModelAsync(registered, target, cancellationToken);
        logger.LogInformation("Base model {ModelId} ({Architecture}, {FileCount} files) verified into {ModelKey}",
            modelId, description.Architecture, description.Files.Count, target);
        return target;
    }
}
