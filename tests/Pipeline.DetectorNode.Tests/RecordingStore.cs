using Pipeline.Artifacts;

namespace Pipeline.DetectorNode.Tests;

/// <summary>
/// The real file-system store, recording the order of its writes, and failing the first <paramref name="failures"/> of
/// them under the inbox as a store that is away would (an IOException), so a test sees what the uploader does then.
/// </summary>
public sealed class RecordingStore(string root, int failures = 0) : IArtifactStore
{
    private readonly FileSystemArtifactStore store = new(root);
    private readonly List<string> written = [];
    private int failuresLeft = failures;

    public IReadOnlyList<string> Written
    {
        get
        {
            lock (written)
            {
                return written.ToList();
            }
        }
    }

    public int Failed { get; private set; }

    public async Task<StoredArtifact> WriteAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        if (key.StartsWith("inbox/", StringComparison.Ordinal) && Interlocked.Decrement(ref failuresLeft) >= 0)
        {
            Failed++;
            throw new IOException($"the store is away (failure {Failed}, made by the test)");
        }

        var stored = await store.WriteAsync(key, content, cancellationToken);
        lock (written)
        {
            written.Add(key);
        }

        return stored;
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default) => store.OpenReadAsync(key, cancellationToken);
    public bool Exists(string key) => store.Exists(key);
    public IReadOnlyList<string> List(string prefix) => store.List(prefix);
    public string GetLocalPath(string key) => store.GetLocalPath(key);
    public Task<StoredArtifact> DescribeAsync(string key, CancellationToken cancellationToken = default) => store.DescribeAsync(key, cancellationToken);
    public bool TryMoveFolder(string sourceKey, string targetKey) => store.TryMoveFolder(sourceKey, targetKey);
    public void Delete(string key) => store.Delete(key);
}
