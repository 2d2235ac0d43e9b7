using System.Formats.Tar;
using System.IO.Compression;
using Pipeline.Downloader.Datasets;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Tests;

/// <summary>
/// Archives small on the wire and ruinous on disk: too many entries, or too many bytes per archive byte. Extracted
/// into a folder the test reads afterwards (the importer deletes its own), to see how far the refusal let it get.
/// </summary>
public sealed class When_an_archive_is_made_to_hurt : IDisposable
{
    private readonly DatasetBuilder dataset = new();
    private readonly DownloaderSettings settings = new();

    private string Target => Path.Combine(dataset.Root, "extracted");

    private long FilesWritten => Directory.Exists(Target) ? Directory.GetFiles(Target, "*", SearchOption.AllDirectories).Length : 0;

    private Task ExtractAsync(string archive) =>
        ArchiveExtractor.ExtractAsync(archive, ArchiveExtractor.Sniff(archive), Target, settings, CancellationToken.None);

    [Fact]
    public async Task A_zip_of_100000_empty_entries_is_refused_before_a_file_is_written()
    {
        var archive = Path.Combine(dataset.Root, "many.zip");
        using (var zip = ZipFile.Open(archive, ZipArchiveMode.Create))
        {
            for (var i = 0; i < 100_000; i++)
            {
                zip.CreateEntry($"empty/{i}.txt", CompressionLevel.NoCompression);
            }
        }

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => ExtractAsync(archive));

        Assert.Equal("Archive 'many.zip' holds more than Downloader:MaxArchiveEntries (50000) entries.", refusal.Message);
        Assert.Equal(0, FilesWritten);
    }

    [Fact]
    public async Task A_tar_gz_with_more_entries_than_MaxArchiveEntries_is_refused_while_it_is_read()
    {
        settings.MaxArchiveEntries = 100;
        var entries = Enumerable.Range(0, 200).Select(i => (TarEntry)new PaxTarEntry(TarEntryType.RegularFile, $"empty/{i}.txt")).ToArray();
        var archive = dataset.AddImage("a").TarGz(entries);

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => ExtractAsync(archive));

        Assert.Contains("holds more than Downloader:MaxArchiveEntries (100) entries", refusal.Message);
        Assert.InRange(FilesWritten, 1, 100);
    }

    [Fact]
    public async Task A_1000_to_1_compression_bomb_is_refused_once_past_the_ratio_floor_well_under_the_byte_cap()
    {
        var archive = Path.Combine(dataset.Root, "bomb.zip");
        using (var zip = ZipFile.Open(archive, ZipArchiveMode.Create))
        await using (var entry = zip.CreateEntry("zeros.bin", CompressionLevel.SmallestSize).Open())
        {
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 200; i++)
            {
                entry.Write(zeros);
            }
        }

        var refusal = await Assert.ThrowsAsync<StageInputException>(() => ExtractAsync(archive));

        Assert.True(new FileInfo(archive).Length < 300_000, $"the bomb is {new FileInfo(archive).Length} bytes");
        Assert.Contains("extracts to more than Downloader:MaxCompressionRatio (100) times its size: refused as a compression bomb", refusal.Message);
        var written = new FileInfo(Path.Combine(Target, "zeros.bin")).Length;
        Assert.InRange(written, settings.CompressionRatioFloor - (1 << 20), settings.CompressionRatioFloor + (1 << 20));
    }

    public void Dispose()
    {
        dataset.Dispose();
    }
}
