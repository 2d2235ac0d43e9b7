using System.Text;
using Pipeline.Messaging;

namespace Pipeline.Cli.Tests;

/// <summary>Against the RabbitMQ that scripts/infra.sh started: each test on its own pair of queues.</summary>
public sealed class When_an_error_queue_is_replayed : IAsyncLifetime
{
    private readonly RabbitMqQueues queues = new();
    private readonly Guid first = Guid.NewGuid();
    private readonly Guid second = Guid.NewGuid();
    private IReadOnlyList<string> firstBodies = [];

    public async Task InitializeAsync()
    {
        await queues.InitializeAsync();
        var bodies = await queues.FaultAsync([.. Enumerable.Range(1, 3).SelectMany(attempt => new[] { (first, attempt), (second, attempt) })]);
        firstBodies = [.. bodies.Where((_, index) => index % 2 == 0)];
    }

    public Task DisposeAsync() => queues.DisposeAsync();

    [Fact]
    public async Task Replay_for_one_training_moves_exactly_its_messages_intact_and_leaves_the_others()
    {
        var (exitCode, output) = await CliRun.RunAsync(null, "replay", queues.Queue, "--training", first.ToString());

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains($"Moved 3 of 6 messages from {queues.ErrorQueue} to {queues.Queue}; 3 of other trainings left", output);
        var moved = await queues.DrainAsync(queues.Queue);
        Assert.Equal(firstBodies, moved.Select(message => Encoding.UTF8.GetString(message.Body.Span)));
        Assert.All(moved, message =>
        {
            Assert.Equal("application/vnd.masstransit+json", message.BasicProperties.ContentType);
            Assert.False(string.IsNullOrEmpty(message.BasicProperties.MessageId));
            // What MassTransit added when the consumer failed goes; what it wrote when the message was sent stays.
            Assert.DoesNotContain("MT-Reason", message.BasicProperties.Headers!.Keys);
            Assert.DoesNotContain(message.BasicProperties.Headers!.Keys, key => key.StartsWith("MT-Fault-", StringComparison.Ordinal));
            Assert.Contains("MT-Host-MachineName", message.BasicProperties.Headers!.Keys);
        });
        var left = await queues.DrainAsync(queues.ErrorQueue);
        Assert.Equal(3, left.Count);
        Assert.All(left, message => Assert.Equal(second, ErrorQueueReplayer.Describe(message).TrainingId));
    }

    [Fact]
    public async Task Replay_with_Max_2_moves_two_messages_and_leaves_the_other_four_in_the_error_queue()
    {
        var result = await new ErrorQueueReplayer(queues.Settings).ReplayAsync(new ReplayRequest(queues.Queue, Max: 2), CancellationToken.None);

        Assert.Equal(2, result.Moved);
        Assert.Equal(2u, await queues.CountAsync(queues.Queue));
        Assert.Equal(4u, await queues.CountAsync(queues.ErrorQueue));
    }

    [Fact]
    public async Task A_dry_run_lists_what_would_move_and_moves_nothing()
    {
        var (exitCode, output) = await CliRun.RunAsync(null, "replay", queues.Queue, "--training", second.ToString(), "--dry-run");

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Contains("Dry run: would move 3 of 6 messages", output);
        Assert.Contains(RabbitMqQueues.FaultReason, output);
        Assert.Equal(0u, await queues.CountAsync(queues.Queue));
        Assert.Equal(6u, await queues.CountAsync(queues.ErrorQueue));
    }

    [Fact]
    public async Task Replay_of_a_queue_without_an_error_queue_moves_nothing()
    {
        var result = await new ErrorQueueReplayer(queues.Settings).ReplayAsync(
            new ReplayRequest($"cli-test-missing-{Guid.NewGuid():N}"), CancellationToken.None);

        Assert.False(result.ErrorQueueExists);
        Assert.Equal(0, result.Moved);
    }
}
