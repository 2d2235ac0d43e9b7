namespace Pipeline.Cli.Tests;

public sealed class QueuesTests : IAsyncLifetime
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
}
