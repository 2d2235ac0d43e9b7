using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Artifacts;
using Pipeline.Contracts;
using Pipeline.Detector;
using Pipeline.Detector.Detection;
using TorchSharp;

namespace Pipeline.Workers.Tests;

/// <summary>The Detector's models by id, on real model files: kept up to CachedModels, the least recently used let go.</summary>
public sealed class When_the_Detector_caches_models : IAsyncLifetime
{
    private readonly WorkerStore workers = new();
    private string modelKey = "";

    public async Task InitializeAsync()
    {
        var trainingId = Guid.NewGuid();
        var (datasetKey, categories) = workers.AddShapesDataset(trainingId);
        var trained = await workers.Training(WorkerStore.TrainerSettings()).RunAsync(new TrainModel
        {
            TrainingId = trainingId, Attempt = 1, DatasetKey = datasetKey, Categories = categories, Hyperparameters = WorkerStore.Quick(1),
        }, new RecordedTrainingEvents(), CancellationToken.None, CancellationToken.None);
        modelKey = trained.ModelKey;
    }

    public Task DisposeAsync()
    {
        workers.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Past_CachedModels_the_least_recently_used_is_disposed_and_loaded_anew_when_asked_again()
    {
        using var cache = Cache(cachedModels: 2);
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var firstA = await cache.GetAsync(a, modelKey, null, CancellationToken.None);
        var firstB = await cache.GetAsync(b, modelKey, null, CancellationToken.None);
        var weightsOfB = firstB.Model.Network.parameters().First();
        // Asking for A again makes B the least recently used.
        Assert.Same(firstA, await cache.GetAsync(a, modelKey, null, CancellationToken.None));

        var firstC = await cache.GetAsync(c, modelKey, null, CancellationToken.None);

        Assert.True(weightsOfB.IsInvalid, "the evicted model's weights are still allocated");
        Assert.False(firstA.Model.Network.parameters().First().IsInvalid);
        Assert.Same(firstA, await cache.GetAsync(a, modelKey, null, CancellationToken.None));
        Assert.Same(firstC, await cache.GetAsync(c, modelKey, null, CancellationToken.None));
        var againB = await cache.GetAsync(b, modelKey, null, CancellationToken.None);
        Assert.NotSame(firstB, againB);
        Assert.False(againB.Model.Network.parameters().First().IsInvalid);
    }

    [Fact]
    public async Task A_model_json_rewritten_in_the_store_is_refused_by_the_registrys_record()
    {
        using var cache = Cache(cachedModels: 2);
        var registered = (await workers.Store.DescribeAsync(ModelArtifacts.DescriptionKey(modelKey))).Sha256;
        await cache.GetAsync(Guid.NewGuid(), modelKey, registered, CancellationToken.None);
        // Whoever can write the store relabels the model: the files still agree with the model.json beside them.
        var description = await workers.Store.ReadDescriptionAsync(modelKey);
        await workers.Store.WriteJsonAsync(ModelArtifacts.DescriptionKey(modelKey),
            description with { Categories = [.. description.Categories.Select(c => c with { Name = "forged" })] });

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => cache.GetAsync(Guid.NewGuid(), modelKey, registered, CancellationToken.None));

        Assert.Contains($"the registry recorded {registered}", refusal.Message);
        Assert.Contains("'model.json'", refusal.Message);
    }

    [Fact]
    public async Task Disposing_the_cache_disposes_every_model_it_holds()
    {
        var cache = Cache(cachedModels: 2);
        var held = new[]
        {
            await cache.GetAsync(Guid.NewGuid(), modelKey, null, CancellationToken.None),
            await cache.GetAsync(Guid.NewGuid(), modelKey, null, CancellationToken.None),
        }.Select(model => model.Model.Network.parameters().First()).ToList();

        cache.Dispose();

        Assert.All(held, weights => Assert.True(weights.IsInvalid));
    }

    private ModelCache Cache(int cachedModels) => new(
        workers.Store, new DetectionDevice(torch.CPU), Options.Create(new DetectorSettings { Device = "cpu", CachedModels = cachedModels }),
        NullLogger<ModelCache>.Instance);
}
