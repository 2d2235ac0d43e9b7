using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Artifacts;
using Pipeline.Vision;
using Pipeline.Vision.Models;

namespace Pipeline.DetectorNode.Models;

/// <summary>
/// The model the node serves now. The next one is loaded beside it (its files checked against model.json's sha256) and
/// then put in its place in one step: a request holds the model it started on until it finishes, so none fails or
/// mixes two models during a swap.
/// </summary>
public sealed class ServedModels(IArtifactStore store, IOptions<DetectorNodeSettings> options, ILogger<ServedModels> logger) : IDisposable
{
    private readonly SemaphoreSlim loading = new(1, 1);
    private readonly Lazy<TorchSharp.torch.Device> device = new(() =>
    {
        TorchDevice.SetThreads(options.Value.Threads);
        return TorchDevice.Select(options.Value.Device);
    });

    private ServedModel? current;

    public NodeModel? Current => Volatile.Read(ref current)?.Description;

    /// <summary>A hold on the model serving now, or null while none is loaded.</summary>
    public ModelLease? Acquire()
    {
        while (Volatile.Read(ref current) is { } model)
        {
            if (model.TryHold())
            {
                return new ModelLease(model);
            }

            // Let go between the read and the hold: a newer model is in its place by now.
        }

        return null;
    }

    /// <summary>
    /// Loads <paramref name="version"/> and serves it, unless the node serves that model already or one promoted after it
    /// (a promotion redelivered late, or one that crossed the status API's answer at start). Returns whether it swapped.
    /// </summary>
    public async Task<bool> OfferAsync(ModelOffer version, CancellationToken cancellationToken)
    {
        await loading.WaitAsync(cancellationToken);
        try
        {
            if (Current is { } serving && (serving.ModelId == version.Id || serving.PromotedAt > version.PromotedAt))
            {
                logger.LogInformation("Keeping model version {Version} ({ModelId}) of {Organization}/{Project}, promoted at {PromotedAt}: version {Offered} was promoted at {OfferedAt}",
                    serving.Version, serving.ModelId, version.Organization, version.Project, serving.PromotedAt, version.Version, version.PromotedAt);
                return false;
            }

            var loaded = await Task.Run(() => Load(version), cancellationToken);
            var previous = Interlocked.Exchange(ref current, loaded);
            previous?.Release();
            logger.LogInformation("Serving model version {Version} ({ModelId}) of {Organization}/{Project}{Previous}",
                version.Version, version.Id, version.Organization, version.Project,
                previous is null ? "" : $", in place of version {previous.Description.Version}");
            return true;
        }
        finally
        {
            loading.Release();
        }
    }

    private ServedModel Load(ModelOffer version)
    {
        // DetectorModel.Load checks model.json against the registry's record and every file it lists against its sha256
        // before it reads the weights: files swapped on the node's volume with their model.json are refused.
        var model = DetectorModel.Load(store.GetLocalPath(version.ModelKey), device.Value, version.DescriptionSha256);
        return new ServedModel(new LoadedModel(version.Id, model), new NodeModel
        {
            Organization = version.Organization, Project = version.Project, PinnedVersion = options.Value.ModelVersion,
            ModelId = version.Id, Version = version.Version, ModelKey = version.ModelKey, Categories = model.Categories,
            LoadedAt = DateTimeOffset.UtcNow, PromotedAt = version.PromotedAt,
        });
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref current, null)?.Release();
        loading.Dispose();
    }
}
