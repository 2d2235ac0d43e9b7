using System.Text.Json;
using Pipeline.Cli.Commands;
using Pipeline.Cli.StatusApi;

namespace Pipeline.Cli.Tests;

public sealed class When_the_queues_are_listed : IAsyncLifetime
{
    private readonly RabbitMqQueues queues = new();

    public async Task InitializeAsync()
    {
        await queues.InitializeAsync();
        await queues.StopConsumingAsync();
    }

    public Task DisposeAsync() => queues.DisposeAsync();

    [Fact]
    public async Task Queues_shows_an_existing_queue_with_its_counts_and_a_missing_one_as_not_existing()
    {
        var missing = $"cli-test-missing-{Guid.NewGuid():N}";

        var (exitCode, output) = await CliRun.RunAsync(null, "queues", queues.Queue, missing);

        Assert.Equal(ExitCodes.Ok, exitCode);
        var lines = output.Split('\n');
        var existing = Assert.Single(lines, line => line.Contains(queues.Queue + " "));
        Assert.DoesNotContain("does not exist", existing);
        // Declared by MassTransit and never consumed from; nothing failed there, so it has no _error queue yet ("-").
        Assert.Matches(@"│ 0\s+│ 0\s+│ 0\s+│ -\s+│", existing);
        Assert.Contains("does not exist yet", Assert.Single(lines, line => line.Contains(missing)));
    }

    [Fact]
    public async Task Queues_still_shows_the_stage_queues_when_the_status_API_that_lists_the_outboxes_does_not_answer()
    {
        // The outboxes live behind the status API, the queues do not.
        var closed = ClosedApiUrl();

        var (exitCode, output) = await CliRun.RunAsync(new Dictionary<string, string> { ["PIPELINE_API"] = closed }, "queues", queues.Queue);

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Single(output.Split('\n'), line => line.Contains(queues.Queue + " "));
        Assert.Contains($"outboxes: not listed, the Orchestrator's status API at {closed}/ does not answer", output.ReplaceLineEndings(" "));
    }

    [Fact]
    public async Task Queues_with_json_prints_each_queues_counts_and_why_the_outboxes_are_not_listed()
    {
        var closed = ClosedApiUrl();
        var missing = $"cli-test-missing-{Guid.NewGuid():N}";

        var (exitCode, output) = await CliRun.RunAsync(new Dictionary<string, string> { ["PIPELINE_API"] = closed }, "queues", queues.Queue, missing, "--json");

        Assert.Equal(ExitCodes.Ok, exitCode);
        var report = JsonSerializer.Deserialize<QueuesReport>(output, StatusApiClient.Json)!;
        Assert.Equal(
            [(queues.Queue, true, 0L, 0), (missing, false, 0L, 0)],
            report.Queues.Select(q => (q.Depth.Name, q.Depth.Exists, q.Depth.Ready, q.Depth.Consumers)));
        Assert.All(report.Queues, q => Assert.False(q.Errors.Exists));
        Assert.Null(report.Outboxes);
        Assert.Contains("does not answer", report.OutboxesNotListed);
    }

    /// <summary>A status API address on a loopback port nobody listens on.</summary>
    private static string ClosedApiUrl()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }
}
