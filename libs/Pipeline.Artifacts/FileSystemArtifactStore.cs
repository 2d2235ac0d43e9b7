using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Pipeline.Artifacts;

public sealed class FileSystemArtifactStore : IArtifactStore
{
    private readonly string root;

    public FileSystemArtifactStore(IOptions<ArtifactStoreSettings> settings)
        : this(string.IsNullOrWhiteSpace(settings.Value.Root) ? ArtifactStoreSettings.DefaultRoot : settings.Value.Root)
    {
    }

    public FileSystemArtifactStore(string root)
    {
        this.root = Path.GetFullPath(root);
        Directory.CreateDirectory(this.root);
    }

    public async Task<StoredArtifact> WriteAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        var path = GetLocalPath(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Write beside the target, then rename: a reader sees the old file or the whole new one.
        var temporary = $"{path}.{Guid.NewGuid():N}.partial";
        try
        {
            long length;
            string sha256;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                length = file.Length;
                sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            }

            File.Move(temporary, path, overwrite: true);
            return new StoredArtifact(key, sha256, length);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = GetLocalPath(key);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Artifact '{key}' does not exist in the store at {root}.", path);
        }

        return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true));
    }

    public bool Exists(string key) => File.Exists(GetLocalPath(key)) || Directory.Exists(GetLocalPath(key));

    public IReadOnlyList<string> List(string prefix)
    {
        var folder = GetLocalPath(prefix);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(path => !path.EndsWith(".partial", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public string GetLocalPath(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        var path = Path.GetFullPath(Path.Combine(root, key));
        // A key is data from messages: it must never reach outside the store.
        if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && path != root)
        {
            throw new ArgumentException($"Artifact key '{key}' points outside the store.", nameof(key));
        }

        return path;
    }

    public async Task<StoredArtifact> DescribeAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var stream = await OpenReadAsync(key, cancellationToken);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return new StoredArtifact(key, Convert.ToHexStringLower(hash), stream.Length);
    }

    public bool TryMoveFolder(string sourceKey, string targetKey)
    {
        var target = GetLocalPath(targetKey);
        if (Directory.Exists(target))
        {
            return false;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            // rename(2): atomic, and it refuses a target that another writer created in the meantime.
            Directory.Move(GetLocalPath(sourceKey), target);
            return true;
        }
        catch (IOException) when (Directory.Exists(target))
        {
            return false;
        }
    }

    public void Delete(string key)
    {
        var path = GetLocalPath(key);
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
