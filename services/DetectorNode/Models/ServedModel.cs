using Pipeline.Contracts;
using Pipeline.Vision.Data;
using Pipeline.Vision.Models;

namespace Pipeline.DetectorNode.Models;

/// <summary>
/// A model the node serves, counted while requests hold it: the node's own hold is let go when a newer model takes its
/// place, and the weights are freed only once the last request that started on it has finished.
/// </summary>
public sealed class ServedModel(LoadedModel loaded, NodeModel description)
{
    // One forward pass at a time (each already uses every core), awaited so that waiting requests hold no thread.
    private readonly SemaphoreSlim inference = new(1, 1);
    private int holds = 1;

    public NodeModel Description { get; } = description;
    public int Resolution => loaded.Model.Resolution;

    public async Task<IReadOnlyList<ImageDetections>> DetectAsync(IReadOnlyList<ResizedImage> images, DetectionOptions options, CancellationToken cancellationToken)
    {
        await inference.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => loaded.Detect(images, options), CancellationToken.None);
        }
        finally
        {
            inference.Release();
        }
    }

    /// <summary>Holds the model for one request; false once it has been let go for good (a newer one serves by then).</summary>
    internal bool TryHold()
    {
        var seen = Volatile.Read(ref holds);
        while (seen > 0)
        {
            var before = Interlocked.CompareExchange(ref holds, seen + 1, seen);
            if (before == seen)
            {
                return true;
            }

            seen = before;
        }

        return false;
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref holds) == 0)
        {
            loaded.Dispose();
            inference.Dispose();
        }
    }
}

/// <summary>One request's hold on a <see cref="ServedModel"/>: the model stays loaded until every lease is disposed.</summary>
public sealed class ModelLease(ServedModel model) : IDisposable
{
    private int released;

    public ServedModel Model { get; } = model;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0)
        {
            Model.Release();
        }
    }
}
