using Pipeline.Artifacts;

namespace Pipeline.Tests.Shared;

/// <summary>
/// A store that notes every change (write, move, delete) by key, so a test can show that a delivery left another
/// delivery's output untouched, rather than rewritten with the same bytes after a moment without it.
/// </summary>
public sealed class WatchedStore(IArtifactStore store) : IArtifactStore
{
    private readonly List<string> changes = [];

    /// <summary>Keys changed since the last <see cref="Forget"/>, each as "write KEY", "delete KEY" or "move SOURCE -> TARGET".</summary>
    public IReadOnlyList<string> Changes
    {
        get
        {
            lock (changes)
            {
                return [.. changes];
            }
        }
    }

    /// <summary>The changes that touched anything under <paramref name="prefix"/>.</summary>
    public IReadOnlyList<string> ChangesUnder(string prefix) =>
        [.. Changes.Where(change => change.Split(' ').Any(part => part == prefix || part.StartsWith(prefix + "/", StringComparison.Ordinal)))];

    public void Forget()
    {
        lock (changes)
        {
            changes.Clear();
        }
    }

    public Task<StoredArtifact> WriteAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        Note($"write {key}");
        return store.WriteAsync(key, content, cancellationToken);
    }

    public bool TryMoveFolder(string sourceKey, string targetKey)
    {
        Note($"move {sourceKey} -> {targetKey}");
        return store.TryMoveFolder(sourceKey, targetKey);
    }

    public void Delete(string key)
    {
        Note($"delete {key}");
        store.Delete(key);
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default) => store.OpenReadAsync(key, cancellationToken);
    public bool Exists(string key) => store.Exists(key);
    public IReadOnlyList<string> List(string prefix) => store.List(prefix);
    public string GetLocalPath(string key) => store.GetLocalPath(key);
    public Task<StoredArtifact> DescribeAsync(string key, CancellationToken cancellationToken = default) => store.DescribeAsync(key, cancellationToken);

    private void Note(string change)
    {
        lock (changes)
        {
            changes.Add(change);
        }
    }
}
