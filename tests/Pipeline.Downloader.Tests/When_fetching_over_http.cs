using Pipeline.Artifacts;

namespace Pipeline.Downloader.Tests;

public sealed class When_fetching_over_http : IDisposable
{
    private readonly DatasetBuilder dataset = new();
    private readonly DownloaderHarness harness = new();
    private readonly LocalHttpServer server = new();

    [Fact]
    public async Task A_zip_served_over_http_is_imported_when_its_sha256_matches_and_refused_naming_both_hashes_when_not()
    {
        dataset.AddImage("a").AddImage("b", split: "test").WriteManifest();
        var archive = dataset.Zip();
        server.Serve("data/set.zip", File.ReadAllBytes(archive));
        var sha256 = DatasetBuilder.Sha256Of(archive);
        var wrong = sha256[..^1] + (sha256[^1] == '0' ? '1' : '0');

        var result = await harness.ImportAsync(server.Url("data/set.zip"), sha256: sha256);
        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(server.Url("data/set.zip"), sha256: wrong, attempt: 2));

        Assert.Equal((1, 1), (result.TrainImageCount, result.TestImageCount));
        Assert.Equal($"Dataset '{server.Url("data/set.zip")}' has sha256 {sha256}, but DatasetSha256 says {wrong}.", refusal.Message);
    }

    [Fact]
    public async Task A_checksum_mismatch_of_the_download_is_refused()
    {
        dataset.AddImage("a").WriteManifest();
        server.Serve("set.zip", File.ReadAllBytes(dataset.Zip()));

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(server.Url("set.zip"), sha256: new string('a', 64)));

        Assert.Contains("sha256", refusal.Message);
    }

    [Fact]
    public async Task A_url_that_answers_404_is_bad_input_naming_the_status()
    {
        var refusal = await Assert.ThrowsAsync<StageInputException>(() => harness.ImportAsync(server.Url("nothing.zip")));

        Assert.Contains("404", refusal.Message);
    }

    [Fact]
    public async Task A_server_error_is_thrown_as_HttpRequestException_naming_the_status_not_as_bad_input()
    {
        server.Serve("busy.zip", [], status: 503);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => harness.ImportAsync(server.Url("busy.zip")));

        Assert.Contains("503", error.Message);
    }

    public void Dispose()
    {
        server.Dispose();
        dataset.Dispose();
        harness.Dispose();
    }
}
