namespace Pipeline.Downloader.Datasets;

/// <summary>Counts bytes as they are copied and stops at the limit, whatever a header or archive entry claimed.</summary>
internal sealed class ByteBudget(long limit, Func<Exception> overrun)
{
    private long used;

    public long Used => Interlocked.Read(ref used);

    public void Take(long bytes)
    {
        if (Interlocked.Add(ref used, bytes) > limit)
        {
            throw overrun();
        }
    }

    public async Task CopyAsync(Stream source, Stream target, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            Take(read);
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }
}
