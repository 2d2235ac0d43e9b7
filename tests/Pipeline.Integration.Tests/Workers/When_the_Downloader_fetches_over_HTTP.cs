using System.IO.Compression;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pipeline.Contracts;
using Pipeline.Downloader.Tests;
using Pipeline.Hosting;
using Pipeline.Artifacts;
using Pipeline.Integration.Tests.EndToEnd;

namespace Pipeline.Integration.Tests.Workers;

/// <summary>
/// The Downloader as its own process on the real RabbitMQ, fetching datasets from a loopback HTTP server: what it retries
/// (408, 429, 5xx, a server that does not answer) and what it refuses at once (a redirect off the allowed hosts, too many bytes).
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_the_Downloader_fetches_over_HTTP(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const int RetryLimit = 3;
    private const long MaxDatasetBytes = 200_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string[] Queues = [StageQueues.DownloadTrainingData, $"{StageQueues.DownloadTrainingData}_error"];
    private readonly string root = Directory.CreateTempSubdirectory("pipeline-downloader-http-").FullName;
    private readonly LocalHttpServer server = new();
    private ServiceProcess downloader = null!;
    private Dictionary<string, string> environment = null!;
    private IHost host = null!;

    private WorkerEvents Events => host.Services.GetRequiredService<WorkerEvents>();

    public async Task InitializeAsync()
    {
        await infrastructure.PurgeAsync(Queues);
        var settings = infrastructure.ServiceSettings();
        settings["Artifacts:Root"] = Path.Combine(root, "artifacts");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddPipelineDefaults("downloader-http-test", bus =>
            bus.AddConsumer<WorkerEventRecorder>().Endpoint(e => e.Name = "downloader-http-test-events"));
        builder.Services.AddSingleton<WorkerEvents>();
        host = builder.Build();
        await host.StartAsync();

        settings["Retry:Limit"] = RetryLimit.ToString();
        settings["Retry:MinInterval"] = "00:00:00.050";
        settings["Retry:MaxInterval"] = "00:00:00.100";
        settings["Downloader:AllowedHosts:0"] = "127.0.0.1";
        // The test server is on loopback, which the address policy refuses unless opened.
        settings["Downloader:AllowedNetworks:0"] = "127.0.0.1/32";
        settings["Downloader:MaxDatasetBytes"] = MaxDatasetBytes.ToString();
        // A hung server is cut at its headers' deadline; the whole download keeps room for a loaded machine (a second
        // here made a zip served through a redirect a retried timeout, and a second request).
        settings["Downloader:HeaderTimeout"] = "00:00:01";
        settings["Downloader:HttpTimeout"] = "00:01:00";
        environment = settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__"), s => s.Value!);
        await StartDownloaderAsync("downloader");
    }

    private async Task StartDownloaderAsync(string name)
    {
        downloader = ServiceProcess.Start("Downloader", name, environment, Path.Combine(root, "logs"));
        await RunningPipelineFixture.WaitUntil($"{name} consumes its queue", async () =>
            downloader.HasExited || (await infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Consumers == 1, Timeout);
        Assert.False(downloader.HasExited, downloader.Output);
    }

    public async Task DisposeAsync()
    {
        await downloader.DisposeAsync();
        server.Dispose();
        await host.StopAsync();
        host.Dispose();
        await infrastructure.PurgeAsync(Queues);
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task Answers_503_429_and_408_are_retried_and_the_fourth_attempt_downloads_the_dataset()
    {
        server.ServeInTurn("busy.zip", (503, []), (429, []), (408, []), (200, DatasetZip()));

        var trainingId = await SendAsync(server.Url("busy.zip"));
        // Whichever comes first: a fault means one of the answers was taken for bad input.
        var outcome = await WaitForAsync<object>(m => m is TrainingDataDownloaded d && d.TrainingId == trainingId
            || m is Fault<DownloadTrainingData> f && f.Message.TrainingId == trainingId);

        var downloaded = Assert.IsType<TrainingDataDownloaded>(outcome);
        Assert.Equal(6, downloaded.TrainImageCount + downloaded.TestImageCount);
        Assert.Equal(4, server.RequestCount("busy.zip"));
    }

    [Fact]
    public async Task A_Downloader_killed_mid_download_leaves_the_command_to_the_next_one_which_downloads_it_whole()
    {
        // The first request's body comes a byte at a time: the Downloader is killed while it reads it.
        server.TrickleOnce("killed.zip", DatasetZip(), TimeSpan.FromMilliseconds(20));
        var trainingId = await SendAsync(server.Url("killed.zip"));
        await RunningPipelineFixture.WaitUntil("the Downloader is reading the body",
            () => Task.FromResult(server.RequestCount("killed.zip") == 1), Timeout);

        downloader.Kill();
        await RunningPipelineFixture.WaitUntil("the broker sees the killed Downloader go",
            async () => (await infrastructure.QueueCountsAsync(StageQueues.DownloadTrainingData))?.Consumers == 0, Timeout);
        await downloader.DisposeAsync();
        await StartDownloaderAsync("downloader-after-kill");

        var downloaded = await WaitForAsync<TrainingDataDownloaded>(d => d.TrainingId == trainingId);
        Assert.Equal(6, downloaded.TrainImageCount + downloaded.TestImageCount);
        Assert.Equal(1, downloaded.Attempt);
        Assert.Equal(2, server.RequestCount("killed.zip"));
        Assert.Single(Events.Of<TrainingDataDownloaded>(d => d.TrainingId == trainingId));
        Assert.Empty(Events.Of<Fault<DownloadTrainingData>>(f => f.Message.TrainingId == trainingId));
    }

    [Fact]
    public async Task A_redirect_within_the_allowed_hosts_is_followed()
    {
        server.Serve("set.zip", DatasetZip()).Redirect("moved.zip", server.Url("set.zip"));

        var trainingId = await SendAsync(server.Url("moved.zip"));

        await WaitForAsync<TrainingDataDownloaded>(d => d.TrainingId == trainingId);
        Assert.Equal(1, server.RequestCount("set.zip"));
    }

    [Fact]
    public async Task A_redirect_to_a_host_that_is_not_allowed_faults_at_once_naming_the_host()
    {
        // The same server under another name: the allowed list has 127.0.0.1 only.
        server.Serve("set.zip", DatasetZip()).Redirect("moved.zip", $"http://localhost:{server.Port}/set.zip");

        var trainingId = await SendAsync(server.Url("moved.zip"));
        var fault = await WaitForAsync<Fault<DownloadTrainingData>>(f => f.Message.TrainingId == trainingId);

        Assert.Equal(typeof(StageInputException).FullName, fault.Exceptions[0].ExceptionType);
        Assert.Contains("host 'localhost', which is not allowed", fault.Exceptions[0].Message);
        Assert.Equal(1, server.RequestCount("moved.zip"));
        Assert.Empty(Events.Of<TrainingDataDownloaded>(d => d.TrainingId == trainingId));
    }

    [Fact]
    public async Task A_Content_Length_over_MaxDatasetBytes_faults_at_once_before_the_body_is_read()
    {
        // Only the header is too large: the body that follows is short and ends early, which a reader would retry.
        server.ServeAnnouncing("large.zip", MaxDatasetBytes + 1, new byte[1000]);

        var fault = await FaultOf(server.Url("large.zip"));

        Assert.Contains($"larger than Downloader:MaxDatasetBytes ({MaxDatasetBytes} bytes)", fault.Exceptions[0].Message);
        Assert.Equal(1, server.RequestCount("large.zip"));
    }

    [Fact]
    public async Task A_body_without_a_length_that_streams_past_MaxDatasetBytes_faults_at_once()
    {
        server.ServeWithoutLength("endless.zip", new byte[MaxDatasetBytes * 2]);

        var fault = await FaultOf(server.Url("endless.zip"));

        Assert.Contains($"larger than Downloader:MaxDatasetBytes ({MaxDatasetBytes} bytes)", fault.Exceptions[0].Message);
        Assert.Equal(1, server.RequestCount("endless.zip"));
    }

    [Fact]
    public async Task A_server_that_does_not_answer_within_HeaderTimeout_is_retried_and_then_faults_naming_the_timeout()
    {
        server.Stall("hangs.zip");

        var trainingId = await SendAsync(server.Url("hangs.zip"));
        var fault = await WaitForAsync<Fault<DownloadTrainingData>>(f => f.Message.TrainingId == trainingId);

        // The dataset's host hung, not the pipeline's servers: tried Retry:Limit more times, not for the outage budget.
        Assert.Equal("Pipeline.Downloader.Http.DatasetHostUnavailableException", fault.Exceptions[0].ExceptionType);
        Assert.Contains("did not answer within 00:00:01 (Downloader:HeaderTimeout)", fault.Exceptions[0].Message);
        Assert.Equal(1 + RetryLimit, server.RequestCount("hangs.zip"));
    }

    private async Task<Fault<DownloadTrainingData>> FaultOf(string uri)
    {
        var trainingId = await SendAsync(uri);
        var fault = await WaitForAsync<Fault<DownloadTrainingData>>(f => f.Message.TrainingId == trainingId);
        Assert.Equal(typeof(StageInputException).FullName, fault.Exceptions[0].ExceptionType);
        return fault;
    }

    private byte[] DatasetZip()
    {
        var folder = TestDatasets.Write(Path.Combine(root, $"dataset-{Guid.NewGuid():N}"));
        var zip = folder + ".zip";
        ZipFile.CreateFromDirectory(folder, zip);
        return File.ReadAllBytes(zip);
    }

    private async Task<Guid> SendAsync(string uri)
    {
        var trainingId = NewId.NextGuid();
        await host.Services.GetRequiredService<ISendEndpointProvider>().Send(new DownloadTrainingData
        {
            TrainingId = trainingId, Attempt = 1, DatasetUri = uri, DatasetFormat = DatasetFormat.Manifest, DetectOn = DetectionScope.AllImages,
        });
        return trainingId;
    }

    private async Task<T> WaitForAsync<T>(Func<T, bool> where)
    {
        T? found = default;
        try
        {
            await RunningPipelineFixture.WaitUntil($"a {typeof(T).Name} arrives", () =>
            {
                found = Events.Of(where).FirstOrDefault();
                return Task.FromResult(found is not null);
            }, Timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} The Downloader's log:\n{string.Join("\n", downloader.Output.Split('\n').TakeLast(20))}", e);
        }

        return found!;
    }
}
