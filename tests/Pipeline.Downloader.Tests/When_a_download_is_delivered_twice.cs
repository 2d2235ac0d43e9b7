using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Artifacts;
using Pipeline.Contracts;
using Pipeline.Downloader.Models;

namespace Pipeline.Downloader.Tests;

/// <summary>
/// The outbox may send a command twice and RabbitMQ redelivers after a lost connection: a second delivery of one attempt
/// must answer as the first did and never touch what the first wrote, which the Trainer may be reading by then.
/// </summary>
public sealed class When_a_download_is_delivered_twice : IDisposable
{
    private readonly DatasetBuilder dataset = new();
    private readonly DownloaderHarness harness = new();

    [Fact]
    public async Task The_second_delivery_of_a_completed_attempt_answers_with_its_dataset_and_leaves_every_file_of_it_untouched()
    {
        dataset.AddImage("a").AddImage("b").AddImage("c", split: "test").WriteManifest();
        var uri = DownloaderHarness.FileUri(dataset.Folder);
        var first = await harness.ImportAsync(uri);
        var datasetFolder = ArtifactKeys.Dataset(harness.TrainingId, 1);
        var filesBefore = Snapshot(datasetFolder);
        harness.Watched.Forget();

        var second = await harness.ImportAsync(uri);

        Assert.Equivalent(first, second, strict: true);
        Assert.Empty(harness.Watched.ChangesUnder(datasetFolder));
        Assert.Equal(filesBefore, Snapshot(datasetFolder));
    }

    [Fact]
    public async Task Two_deliveries_of_one_attempt_at_once_answer_alike_with_one_complete_dataset()
    {
        dataset.AddImage("a").AddImage("b").AddImage("c", split: "test").WriteManifest();
        var uri = DownloaderHarness.FileUri(dataset.Folder);

        var both = await Task.WhenAll(harness.ImportAsync(uri), harness.ImportAsync(uri));

        Assert.Equivalent(both[0], both[1], strict: true);
        var manifest = await harness.ManifestAsync();
        Assert.All(manifest.Images, image => Assert.True(harness.Store.Exists($"{ArtifactKeys.Dataset(harness.TrainingId, 1)}/{image.File}")));
        // Whichever copy lost the race left nothing beside the dataset: no second folder, no staging.
        Assert.Equal([ArtifactKeys.Dataset(harness.TrainingId, 1)], Directory.GetDirectories(harness.Store.GetLocalPath(ArtifactKeys.Datasets(harness.TrainingId)))
            .Select(path => $"{ArtifactKeys.Datasets(harness.TrainingId)}/{Path.GetFileName(path)}"));
    }

    [Fact]
    public async Task The_second_delivery_of_a_base_model_download_answers_with_the_copy_and_leaves_it_untouched()
    {
        var modelId = Guid.NewGuid();
        var registered = ArtifactKeys.RegisteredModel(modelId);
        var bytes = Encoding.UTF8.GetBytes("weights");
        await harness.Store.WriteAsync($"{registered}/weights.bin", new MemoryStream(bytes));
        await harness.Store.WriteJsonAsync(ModelArtifacts.DescriptionKey(registered), new ModelDescription
        {
            Architecture = "tiny", Resolution = 64, Categories = [new Category { Id = "1", Name = "cat" }], Hyperparameters = new(),
            Files = [new ModelFile { Name = "weights.bin", Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)), Length = bytes.Length }],
        });
        var fetcher = new BaseModelFetcher(harness.Watched, NullLogger<BaseModelFetcher>.Instance);
        var first = await fetcher.FetchAsync(harness.TrainingId, 1, modelId, null, CancellationToken.None);
        var filesBefore = Snapshot(first);
        harness.Watched.Forget();

        var second = await fetcher.FetchAsync(harness.TrainingId, 1, modelId, null, CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Empty(harness.Watched.ChangesUnder(first));
        Assert.Equal(filesBefore, Snapshot(first));
    }

    /// <summary>Every file under the key with its last write time: a file rewritten, even with the same bytes, shows.</summary>
    private List<string> Snapshot(string key) =>
        [.. harness.Store.List(key).Select(file => $"{file} {File.GetLastWriteTimeUtc(harness.Store.GetLocalPath(file)):O}")];

    public void Dispose()
    {
        harness.Dispose();
        dataset.Dispose();
    }
}
