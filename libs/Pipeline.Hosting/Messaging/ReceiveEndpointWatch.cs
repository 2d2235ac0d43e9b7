using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// Knows which of this service's queues are not consuming, and says in its log when one stops and when it consumes again.
/// MassTransit logs a lost connection as a warning and its recovery not at all, and once a queue has been through one
/// outage it reports the next ones as the end of its consumer (<see cref="IReceiveEndpointObserver.Completed"/>), not as a
/// fault: a queue whose consumer ends without this service stopping it is lost too.
/// </summary>
public sealed class ReceiveEndpointWatch(ILogger<ReceiveEndpointWatch> logger) : IReceiveEndpointObserver
{
    private readonly ConcurrentDictionary<Uri, LostQueue> lost = new();
    private readonly ConcurrentDictionary<Uri, bool> stopping = new();

    /// <summary>The queues not consuming now, each with the endpoint that reads it.</summary>
    public IReadOnlyCollection<LostQueue> Lost => [.. lost.Values];

    public Task Ready(ReceiveEndpointReady ready)
    {
        stopping.TryRemove(ready.InputAddress, out _);
        var queue = ready.InputAddress.QueueName();
        if (lost.TryRemove(ready.InputAddress, out var was))
        {
            logger.LogInformation("{Queue}: consuming again, {Seconds:0.0} s after it stopped", queue, Stopwatch.GetElapsedTime(was.Since).TotalSeconds);
        }
        else
        {
            logger.LogInformation("{Queue}: consuming", queue);
        }

        return Task.CompletedTask;
    }

    // MassTransit reports every failed reconnect too: the first says it, the rest would only repeat it.
    public Task Faulted(ReceiveEndpointFaulted faulted) => LostAsync(faulted.ReceiveEndpoint, faulted.Exception?.Message ?? "faulted");

    // A stop of this service's own (a shutdown) ends the consumer as well.
    public Task Stopping(ReceiveEndpointStopping stopping)
    {
        this.stopping[stopping.InputAddress] = true;
        if (stopping.Removed)
        {
            lost.TryRemove(stopping.InputAddress, out _); // disconnected for good: nothing to reconnect
        }

        return Task.CompletedTask;
    }

    public Task Completed(ReceiveEndpointCompleted completed) =>
        stopping.ContainsKey(completed.InputAddress) ? Task.CompletedTask : LostAsync(completed.ReceiveEndpoint, "its consumer ended: the channel or connection closed");

    private Task LostAsync(IReceiveEndpoint endpoint, string reason)
    {
        if (lost.TryAdd(endpoint.InputAddress, new LostQueue(endpoint, Stopwatch.GetTimestamp())))
        {
            logger.LogWarning("{Queue}: stopped consuming ({Reason}); reconnecting", endpoint.InputAddress.QueueName(), reason);
        }

        return Task.CompletedTask;
    }
}

/// <summary>A queue that stopped consuming at <see cref="Since"/> (a <see cref="Stopwatch"/> timestamp), and the endpoint that reads it.</summary>
public sealed record LostQueue(IReceiveEndpoint Endpoint, long Since);
