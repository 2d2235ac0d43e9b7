using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Pipeline.Orchestrator.Dashboard;

/// <summary>What a watching page or <c>pipeline watch</c> is told: a transition, or a progress report.</summary>
public sealed record LiveEvent
{
    public required string Kind { get; init; }
    public required Guid TrainingId { get; init; }
    public string? From { get; init; }
    public string? To { get; init; }
    public string? Error { get; init; }
    public int? Iteration { get; init; }
    public int? TotalIterations { get; init; }
    public double? Loss { get; init; }
    public double? MeanAveragePrecision { get; init; }
    public required DateTimeOffset At { get; init; }
}

/// <summary>
/// Hands the events this Orchestrator hears to every open stream. Each stream has a bounded buffer that drops its
/// oldest events: a page that stops reading loses progress points, never the Orchestrator's memory.
/// </summary>
public sealed class LiveTrainingEvents
{
    public const int BufferPerStream = 512;

    private readonly ConcurrentDictionary<Guid, Channel<LiveEvent>> streams = new();

    public void Publish(LiveEvent live)
    {
        foreach (var stream in streams.Values)
        {
            stream.Writer.TryWrite(live);
        }
    }

    /// <summary>A stream that hears every event from now on, until disposed.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(BufferPerStream) { FullMode = BoundedChannelFullMode.DropOldest });
        var id = Guid.NewGuid();
        streams[id] = channel;
        return new Subscription(channel.Reader, () => streams.TryRemove(id, out _));
    }

    public sealed class Subscription(ChannelReader<LiveEvent> reader, Action end) : IDisposable
    {
        public ChannelReader<LiveEvent> Reader { get; } = reader;

        public void Dispose() => end();
    }
}
