using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// Says in the service's log when one of its queues stops consuming and when it consumes again. MassTransit logs the lost
/// connection as a warning and its recovery not at all, so without this a worker that reconnected and one that never did
/// leave the same last line ("Connection Failed").
/// </summary>
public sealed class ReceiveEndpointLog(ILogger<ReceiveEndpointLog> logger) : IReceiveEndpointObserver
{
    private readonly ConcurrentDictionary<Uri, long> stoppedSince = new();

    public Task Ready(ReceiveEndpointReady ready)
    {
        var queue = QueueOf(ready.InputAddress);
        if (stoppedSince.TryRemove(ready.InputAddress, out var since))
        {
            logger.LogInformation("{Queue}: consuming again, {Seconds:0.0} s after it stopped", queue, Stopwatch.GetElapsedTime(since).TotalSeconds);
        }
        else
        {
            logger.LogInformation("{Queue}: consuming", queue);
        }

        return Task.CompletedTask;
    }

    public Task Faulted(ReceiveEndpointFaulted faulted)
    {
        // MassTransit reports every failed reconnect too: the first says it, the rest would only repeat it.
        if (stoppedSince.TryAdd(faulted.InputAddress, Stopwatch.GetTimestamp()))
        {
            logger.LogWarning("{Queue}: stopped consuming ({Reason}); reconnecting", QueueOf(faulted.InputAddress), faulted.Exception?.Message);
        }

        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    private static string QueueOf(Uri inputAddress) => inputAddress.AbsolutePath.TrimEnd('/').Split('/')[^1];
}
