using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>
/// What a Prometheus server reads, scraped as it would be from the running services: the Orchestrator's /metrics with a
/// viewer's token (refused without one), and a worker's listener of its own.
/// </summary>
[Collection(RunningPipelineCollection.Name)]
public sealed class When_Prometheus_scrapes_the_services(RunningPipelineFixture pipeline)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_Orchestrator_reports_trainings_by_state_and_requests_and_the_Downloader_its_stage_duration_on_a_listener()
    {
        var dataset = new Uri(TestDatasets.Write(Path.Combine(pipeline.WorkFolder, $"metrics-{Guid.NewGuid():N}"))).AbsoluteUri;
        var trainingId = await pipeline.BeginAsync(dataset);
        Assert.Equal("Completed", (await pipeline.WaitForStateAsync(trainingId, Timeout, "Completed", "Failed")).State);
        using var scraper = new HttpClient { BaseAddress = pipeline.Api.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };

        using (var anonymous = await scraper.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", pipeline.ViewerToken);
        var orchestrator = "";
        // The trainings gauge is read in the background, at most every 15 s: a scrape shows it once it has been read.
        await RunningPipelineFixture.WaitUntil("the Orchestrator's /metrics counts a Completed training", async () =>
        {
            orchestrator = await scraper.GetStringAsync("/metrics");
            return TrainingsIn("Completed").Match(orchestrator) is { Success: true } completed && long.Parse(completed.Groups["count"].Value) >= 1;
        }, Timeout);
        // ASP.NET Core's own meter: the requests this test made while it waited.
        Assert.Matches(@"(?m)^http_server_request_duration_seconds_count\{[^}]*http_route=""/trainings/\{id:guid\}""", orchestrator);
        // MassTransit's own instruments: the saga ran this training's messages on its queue.
        Assert.Matches(@"(?m)^messaging_masstransit_saga_ea_total\{[^}]*destination=""training-state""[^}]*message_type=""BeginTraining""[^}]*\} [1-9]", orchestrator);

        using var worker = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var downloader = await worker.GetStringAsync($"http://127.0.0.1:{pipeline.DownloaderMetricsPort}/metrics");
        Assert.Matches(@"(?m)^messaging_masstransit_consume_ea_total\{[^}]*destination=""download-training-data""[^}]*\} [1-9]", downloader);
        Assert.Matches(@"(?m)^target_info\{[^}]*service_name=""downloader""", downloader);
        // The training's stage, as the worker timed it, and .NET's own meters.
        Assert.Matches(@"(?m)^pipeline_stage_duration_seconds_count\{[^}]*outcome=""completed""[^}]*queue=""download-training-data""[^}]*\} [1-9]", downloader);
        Assert.Matches(@"(?m)^dotnet_gc_collections_total\{", downloader);
    }

    private static Regex TrainingsIn(string state) => new($@"^pipeline_trainings(_ratio)?\{{[^}}]*state=""{state}""[^}}]*\}} (?<count>\d+)", RegexOptions.Multiline);
}
