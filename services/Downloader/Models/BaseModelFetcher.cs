using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Models;

/// <summary>
/// Copies a registered model into the training's scratch, its model.json checked against the registry's record of it
/// and every other file against that model.json.
/// </summary>
public sealed class BaseModelFetcher(IArtifactStore store, ILogger<BaseModelFetcher> logger)
{
    /// <returns>The artifact key of the training's verified copy.</returns>
    /// <param name="registeredDescriptionSha256">The registry's record of the model's model.json; null for a model registered before it kept one.</param>
    public async Task<string> FetchAsync(Guid trainingId, int attempt, Guid modelId, string? registeredDescriptionSha256, CancellationToken cancellationToken)
    {
        var registered = ArtifactKeys.RegisteredModel(modelId);
        if (!store.Exists(ModelArtifacts.DescriptionKey(registered)))
        {
            throw new StageInputException($"Model {modelId} is not in the registry (no {ModelDescription.FileName} at '{registered}').");
        }

        var target = ArtifactKeys.BaseModel(trainingId, attempt);
        // model.json is the last file in (CopyVerifiedModelAsync) and the folder is renamed into place whole: a second
        // delivery of the attempt answers with the copy, never re-copying under the Trainer that reads it.
        if (store.Exists(ModelArtifacts.DescriptionKey(target)))
        {
            logger.LogInformation("Base model {ModelId} of {TrainingId} attempt {Attempt} is in {ModelKey} already", modelId, trainingId, attempt, target);
            return target;
        }

        var staging = ArtifactKeys.Staging(target);
        var (description, _) = await store.CopyVerifiedModelAsync(registered, staging, registeredDescriptionSha256, cancellationToken);
        if (!store.TryMoveFolder(staging, target))
        {
            // A copy of this command renamed its verified copy of the same registered model into place first.
            store.Delete(staging);
        }

        logger.LogInformation("Base model {ModelId} ({Architecture}, {FileCount} files) verified into {ModelKey}",
            modelId, description.Architecture, description.Files.Count, target);
        return target;
    }
}
