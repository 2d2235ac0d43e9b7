namespace Pipeline.Artifacts;

/// <summary>
/// Files shared between stages (datasets, checkpoints, models, detections), addressed by a relative key
/// such as <c>trainings/{id}/dataset/manifest.json</c>. A directory on disk today; an object store can serve later.
/// </summary>
public interface IArtifactStore
{
    /// <summary>Writes the stream under the key atomically (readers never see half a file) and returns its checksum.</summary>
    Task<StoredArtifact> WriteAsync(string key, Stream content, CancellationToken cancellationToken = default);

    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default);

    bool Exists(string key);

    /// <summary>Keys of every file under the prefix, relative to the store's root.</summary>
    IReadOnlyList<string> List(string prefix);

    /// <summary>A path on this machine for libraries that only read files by name (TorchSharp's load).</summary>
    string GetLocalPath(string key);

    Task<StoredArtifact> DescribeAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Renames a folder into place in one step, unless the target exists already (false then, and nothing moved), so
    /// whatever was written first under the target is never replaced under a reader.
    /// </summary>
    bool TryMoveFolder(string sourceKey, string targetKey);

    /// <summary>Removes the key, or every key under it when it names a folder; a missing key is no error.</summary>
    void Delete(string key);
}
