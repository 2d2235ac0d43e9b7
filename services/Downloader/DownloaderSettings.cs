namespace Pipeline.Downloader;

/// <summary>What the Downloader may fetch and how much, from the <c>Downloader</c> section.</summary>
public sealed class DownloaderSettings
{
    public const string Section = "Downloader";

    public static readonly IReadOnlyList<string> DefaultSchemes = ["file", "http", "https"];

    // Arrays left null by default: the configuration binder appends to a pre-filled collection, which would
    // make a narrower list in appsettings.json silently keep the defaults.

    /// <summary>URI schemes accepted for datasets; null or empty means file, http and https.</summary>
    public string[]? AllowedSchemes { get; set; }

    /// <summary>Hosts accepted for http(s) (exact, or <c>*.example.com</c>); empty means any.</summary>
    public string[]? AllowedHosts { get; set; }

    /// <summary>Folders file:// datasets must lie under; empty means any.</summary>
    public string[]? AllowedRoots { get; set; }

    /// <summary>Limit on the downloaded file, on an archive's extracted total, and on the images copied.</summary>
    public long MaxDatasetBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>A progress line is logged every this many images.</summary>
    public int ProgressEvery { get; set; } = 500;

    /// <summary>Images checked and copied at once; 0 means one per processor.</summary>
    public int MaxParallelImages { get; set; }

    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Scratch folder for downloads and extracted archives; empty means the system's temp folder.</summary>
    public string? WorkFolder { get; set; }

    public IReadOnlyList<string> Schemes => AllowedSchemes is { Length: > 0 } schemes ? schemes : DefaultSchemes;
}
