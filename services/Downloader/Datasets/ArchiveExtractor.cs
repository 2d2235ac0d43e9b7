using System.Formats.Tar;
using System.IO.Compression;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Datasets;

public enum DatasetFileKind
{
    Json,
    Zip,
    TarGz,
    Tar,
}

/// <summary>
/// Unpacks .zip and .tar(.gz) datasets into a folder. Every entry must stay inside it: absolute names, <c>..</c>,
/// and links (zip entries marked as symlinks, tar symlinks and hard links) are refused rather than skipped,
/// since a dataset that carries them was not made by a well-meaning tool. The extracted total, the number of entries and
/// the compression ratio are capped too, each counted as the archive is read, whatever its headers claim.
/// </summary>
public static class ArchiveExtractor
{
    /// <summary>Tells the kind by content, not by name: a URL need not end in .zip.</summary>
    public static DatasetFileKind Sniff(string path)
    {
        Span<byte> head = stackalloc byte[262];
        using var file = File.OpenRead(path);
        var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..read];
        if (head.StartsWith("PK\u0003\u0004"u8) || head.StartsWith("PK\u0005\u0006"u8))
        {
            return DatasetFileKind.Zip;
        }

        if (head is [0x1f, 0x8b, ..])
        {
            return DatasetFileKind.TarGz;
        }

        return read >= 262 && head[257..262].SequenceEqual("ustar"u8) ? DatasetFileKind.Tar : DatasetFileKind.Json;
    }

    public static async Task ExtractAsync(string archive, DatasetFileKind kind, string target, DownloaderSettings settings, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(archive);
        Directory.CreateDirectory(target);
        target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        var budget = new ExtractionBudget(name, new FileInfo(archive).Length, settings);
        try
        {
            if (kind == DatasetFileKind.Zip)
            {
                await ExtractZipAsync(archive, name, target, budget, cancellationToken);
            }
            else
            {
                await ExtractTarAsync(archive, kind == DatasetFileKind.TarGz, name, target, budget, cancellationToken);
            }
        }
        catch (InvalidDataException e)
        {
            throw new StageInputException($"Archive '{name}' is corrupt: {e.Message}", e);
        }
    }

    private static async Task ExtractZipAsync(string archive, string name, string target, ExtractionBudget budget, CancellationToken cancellationToken)
    {
        using var zip = ZipFile.OpenRead(archive);
        // A zip lists its entries up front: refused before the first file is written.
        budget.CheckEntries(zip.Entries.Count);
        foreach (var entry in zip.Entries)
        {
            budget.TakeEntry();
            var path = EntryPath(target, entry.FullName, name);
            const int unixTypeMask = 0xF000, unixSymlink = 0xA000;
            if (((entry.ExternalAttributes >> 16) & unixTypeMask) == unixSymlink)
            {
                throw new StageInputException($"Archive '{name}' entry '{entry.FullName}' is a symbolic link; datasets may not hold links.");
            }

            if (entry.FullName.EndsWith('/'))
            {
                Directory.CreateDirectory(path);
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var source = entry.Open();
            await using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
            await budget.CopyAsync(source, file, cancellationToken);
        }
    }

    private static async Task ExtractTarAsync(string archive, bool gzip, string name, string target, ExtractionBudget budget, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(archive);
        await using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        await using var tar = new TarReader(stream);
        while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            budget.TakeEntry();
            switch (entry.EntryType)
            {
                case TarEntryType.GlobalExtendedAttributes:
                    continue;
                case TarEntryType.SymbolicLink or TarEntryType.HardLink:
                    throw new StageInputException(
                        $"Archive '{name}' entry '{entry.Name}' is a {(entry.EntryType == TarEntryType.SymbolicLink ? "symbolic" : "hard")} link to '{entry.LinkName}'; datasets may not hold links.");
                case TarEntryType.Directory:
                    Directory.CreateDirectory(EntryPath(target, entry.Name, name));
                    continue;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    var path = EntryPath(target, entry.Name, name);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    await using (var output = new FileStream(path, FileMode.Create, FileAccess.Write))
                    {
                        if (entry.DataStream is { } data)
                        {
                            await budget.CopyAsync(data, output, cancellationToken);
                        }
                    }

                    continue;
                default:
                    throw new StageInputException($"Archive '{name}' entry '{entry.Name}' is a {entry.EntryType}; datasets hold only files and folders.");
            }
        }
    }

    /// <summary>What one extraction may still write: bytes, entries, and bytes per archive byte.</summary>
    private sealed class ExtractionBudget(string name, long archiveBytes, DownloaderSettings settings)
    {
        private readonly ByteBudget bytes = new(settings.MaxDatasetBytes, () => new StageInputException(
            $"Archive '{name}' extracts to more than Downloader:MaxDatasetBytes ({settings.MaxDatasetBytes} bytes)."));

        private int entries;

        public void TakeEntry() => CheckEntries(++entries);

        public void CheckEntries(int count)
        {
            if (count > settings.MaxArchiveEntries)
            {
                throw new StageInputException($"Archive '{name}' holds more than Downloader:MaxArchiveEntries ({settings.MaxArchiveEntries}) entries.");
            }
        }

        public async Task CopyAsync(Stream source, Stream target, CancellationToken cancellationToken)
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                bytes.Take(read);
                var extracted = bytes.Used;
                if (extracted > settings.CompressionRatioFloor && extracted > settings.MaxCompressionRatio * Math.Max(archiveBytes, 1))
                {
                    throw new StageInputException(
                        $"Archive '{name}' ({archiveBytes} bytes) extracts to more than Downloader:MaxCompressionRatio ({settings.MaxCompressionRatio}) times its size: refused as a compression bomb.");
                }

                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }
    }

    private static string EntryPath(string target, string entryName, string archive)
    {
        var relative = entryName.Replace('\\', '/');
        var escapes = relative.StartsWith('/') || Path.IsPathRooted(relative) || (relative.Length > 1 && relative[1] == ':')
            || relative.Split('/').Contains("..");
        var path = Path.GetFullPath(Path.Combine(target, relative));
        if (escapes || !path.StartsWith(target + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new StageInputException($"Archive '{archive}' entry '{entryName}' points outside the dataset folder.");
        }

        return path;
    }
}
