using Microsoft.Extensions.Options;
using Pipeline.Artifacts;
using Pipeline.Vision.Models;

namespace Pipeline.Detector.Detection;

/// <summary>
/// Models by id, each loaded once and kept, the least recently used dropped beyond <see cref="DetectorSettings.CachedModels"/>.
/// Loading checks model.json against the registry's record of it (the command carries it) and every other file against
/// the sha256 in model.json: a model that does not match is bad input.
/// </summary>
public sealed class ModelCache(IArtifactStore store, DetectionDevice device, IOptions<DetectorSettings> options, ILogger<ModelCache> logger) : IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly LinkedList<LoadedModel> models = new();

    /// <param name="registeredDescriptionSha256">The registry's record of the model's model.json; null for a model registered before it kept one.</param>
    public async Task<LoadedModel> GetAsync(Guid modelId, string modelKey, string? registeredDescriptionSha256, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (models.FirstOrDefault(m => m.ModelId == modelId) is { } cached)
            {
                models.Remove(cached);
                models.AddFirst(cached);
                return cached;
            }

            var loaded = await LoadAsync(modelId, modelKey, registeredDescriptionSha256, cancellationToken);
            models.AddFirst(loaded);
            while (models.Count > Math.Max(1, options.Value.CachedModels))
            {
                var oldest = models.Last!.Value;
                models.RemoveLast();
                oldest.Dispose();
            }

            return loaded;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<LoadedModel> LoadAsync(Guid modelId, string modelKey, string? registeredDescriptionSha256, CancellationToken cancellationToken)
    {
        // model.json first through the store, so a missing or malformed one is named by its key.
        var description = await store.ReadDescriptionAsync(modelKey, cancellationToken);
        try
        {
            var model = DetectorModel.Load(store.GetLocalPath(modelKey), device.Device, registeredDescriptionSha256);
            logger.LogInformation("Loaded model {ModelId} from {ModelKey}: {Architecture} at {Resolution} px, {CategoryCount} categories, on {Device}",
                modelId, modelKey, description.Architecture, description.Resolution, description.Categories.Count, device.Device.type);
            return new LoadedModel(modelId, model);
        }
        catch (Exception e) when (ModelLoadFailure.Reason(e, $"Model {modelId} at '{modelKey}'") is { } reason)
        {
            throw new StageInputException(reason, e);
        }
    }

    public void Dispose()
    {
        foreach (var model in models)
        {
            model.Dispose();
        }

        gate.Dispose();
    }
}
