using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Downloader.Models;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Tests;

public sealed class When_fetching_a_base_model : IDisposable
{
    private readonly DownloaderHarness harness = new();
    private readonly Guid modelId = Guid.NewGuid();

    private BaseModelFetcher Fetcher => new(harness.Store, NullLogger<BaseModelFetcher>.Instance);

    private async Task RegisterAsync(string weights, string? claimedSha = null, string fileName = "weights.bin")
    {
        var key = ArtifactKeys.RegisteredModel(modelId);
        var bytes = Encoding.UTF8.GetBytes(weights);
        await harness.Store.WriteAsync($"{key}/weights.bin", new MemoryStream(bytes));
        await harness.Store.WriteJsonAsync(ModelArtifacts.DescriptionKey(key), new ModelDescription
        {
            Architecture = "tiny", Resolution = 64, Categories = [new Category { Id = "1", Name = "cat" }], Hyperparameters = new(),
            Files = [new ModelFile { Name = fileName, Sha256 = claimedSha ?? Convert.ToHexStringLower(SHA256.HashData(bytes)), Length = bytes.Length }],
        });
    }

    [Fact]
    public async Task A_registered_model_whose_files_match_their_sha256_is_copied_into_the_training()
    {
        await RegisterAsync("weights");

        var key = await Fetcher.FetchAsync(harness.TrainingId, 1, modelId, null, CancellationToken.None);

        Assert.Equal(ArtifactKeys.BaseModel(harness.TrainingId, 1), key);
        Assert.Equal("weights", File.ReadAllText(harness.Store.GetLocalPath($"{key}/weights.bin")));
        Assert.True(harness.Store.Exists($"{key}/model.json"));
    }

    [Fact]
    public async Task A_model_swapped_in_the_store_with_its_model_json_is_refused_by_the_registrys_record()
    {
        await RegisterAsync("weights");
        var registered = (await harness.Store.DescribeAsync(ModelArtifacts.DescriptionKey(ArtifactKeys.RegisteredModel(modelId)))).Sha256;
        // Whoever can write the store replaces the weights and writes a model.json that agrees with them.
        await RegisterAsync("other weights");

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => Fetcher.FetchAsync(harness.TrainingId, 1, modelId, registered, CancellationToken.None));

        Assert.Contains($"the registry recorded {registered}", refusal.Message);
        Assert.False(harness.Store.Exists(ArtifactKeys.BaseModel(harness.TrainingId, 1)));
        Assert.Equal(ArtifactKeys.BaseModel(harness.TrainingId, 1), await Fetcher.FetchAsync(harness.TrainingId, 1, modelId, null, CancellationToken.None));
    }

    [Fact]
    public async Task A_model_file_that_does_not_match_is_refused_naming_the_file()
    {
        await RegisterAsync("weights", claimedSha: new string('0', 64));

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => Fetcher.FetchAsync(harness.TrainingId, 1, modelId, null, CancellationToken.None));

        Assert.Contains("'weights.bin'", refusal.Message);
        Assert.False(harness.Store.Exists(ArtifactKeys.BaseModel(harness.TrainingId, 1)));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("..")]
    [InlineData("sub/weights.bin")]
    [InlineData("..\\weights.bin")]
    public async Task A_model_json_naming_anything_but_a_plain_file_name_is_refused_naming_it(string fileName)
    {
        await RegisterAsync("weights", fileName: fileName);

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => Fetcher.FetchAsync(harness.TrainingId, 1, modelId, null, CancellationToken.None));

        Assert.Contains($"Model file name '{fileName}' in model.json", refusal.Message);
        Assert.Contains("is not a plain file name inside the model's folder", refusal.Message);
        Assert.False(harness.Store.Exists(ArtifactKeys.BaseModel(harness.TrainingId, 1)));
    }

    [Fact]
    public async Task A_model_missing_from_the_registry_is_refused()
    {
        var refusal = await Assert.ThrowsAsync<StageInputException>(() => Fetcher.FetchAsync(harness.TrainingId, 1, modelId, null, CancellationToken.None));

        Assert.Contains($"Model {modelId} is not in the registry", refusal.Message);
    }

    public void Dispose() => harness.Dispose();
}
