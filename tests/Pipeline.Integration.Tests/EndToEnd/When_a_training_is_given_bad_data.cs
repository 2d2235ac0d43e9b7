using Pipeline.Contracts;
using System.Security.Cryptography;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>Bad input to the Downloader ends the training Failed at DataDownloading, with the reason, tried once.</summary>
[Collection(RunningPipelineCollection.Name)]
public sealed class When_a_training_is_given_bad_data(RunningPipelineFixture pipeline)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public Task An_unknown_scheme_fails_the_download() =>
        AssertFailsAtDownload("ftp://example.invalid/dataset.zip", "ftp");

    [Fact]
    public Task A_path_traversal_in_an_archive_fails_the_download() =>
        AssertFailsAtDownload(new Uri(TestDatasets.WriteZipWithTraversal(Folder("traversal"))).AbsoluteUri, "escaped.txt");

    [Fact]
    public Task A_folder_without_a_manifest_fails_the_download()
    {
        var folder = Directory.CreateDirectory(Folder("no-manifest")).FullName;
        File.WriteAllText(Path.Combine(folder, "readme.txt"), "no dataset here");
        return AssertFailsAtDownload(new Uri(folder).AbsoluteUri, "manifest");
    }

    [Fact]
    public Task A_checksum_mismatch_fails_the_download()
    {
        var zip = TestDatasets.WriteZipWithTraversal(Folder("checksum"));
        var wrong = Convert.ToHexStringLower(SHA256.HashData("something else"u8));
        return AssertFailsAtDownload(new Uri(zip).AbsoluteUri, "sha256", wrong);
    }

    [Fact]
    public Task A_dataset_whose_images_are_all_corrupt_fails_the_download()
    {
        var folder = TestDatasets.Write(Folder("corrupt"), images: 3, corrupt: 3);
        return AssertFailsAtDownload(new Uri(folder).AbsoluteUri, "decod");
    }

    private string Folder(string name) => Path.Combine(pipeline.WorkFolder, $"{name}-{Guid.NewGuid():N}");

    private async Task AssertFailsAtDownload(string datasetUri, string reasonMentions, string? sha256 = null)
    {
        var trainingId = await pipeline.BeginAsync(datasetUri, o => o.DatasetSha256 = sha256);

        var training = await pipeline.WaitForStateAsync(trainingId, Timeout, "Failed", "Completed");

        Assert.Equal("Failed", training.State);
        Assert.Equal("DataDownloading", training.FailedStage);
        Assert.Contains(reasonMentions, training.Errors["DataDownloading"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, training.Attempt);
        // Nothing loops: the command sits once in the error queue, ready for a replay, and the stage queue is empty.
        Assert.Equal(0, (await pipeline.Infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Messages ?? 0);
    }
}
