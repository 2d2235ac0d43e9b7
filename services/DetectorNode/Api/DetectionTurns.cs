using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Pipeline.DetectorNode.Api;

/// <summary>
/// Turns at detection: <see cref="DetectorNodeSettings.MaxConcurrentDetections"/> run, up to
/// <see cref="DetectorNodeSettings.MaxQueuedDetections"/> wait in arrival order, and a request past both is turned away at
/// once, before its body is read, so a burst costs neither memory nor a pile of half-run inferences.
/// </summary>
public sealed class DetectionTurns(IOptions<DetectorNodeSettings> options) : IDisposable
{
    private readonly ConcurrencyLimiter limiter = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = Math.Max(1, options.Value.MaxConcurrentDetections),
        QueueLimit = Math.Max(0, options.Value.MaxQueuedDetections),
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>A turn, which the caller disposes when its request is answered; <c>IsAcquired</c> is false when the queue is full.</summary>
    public ValueTask<RateLimitLease> WaitAsync(CancellationToken cancellationToken) => limiter.AcquireAsync(1, cancellationToken);

    public void Dispose() => limiter.Dispose();
}
