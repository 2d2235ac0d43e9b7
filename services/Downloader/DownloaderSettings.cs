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

    /// <summary>
    /// CIDR ranges http(s) downloads may connect to although the address policy refuses them (loopback, private,
    /// link-local, ...): where a deployment's own dataset server lives. Empty: only public addresses.
    /// </summary>
    public string[]? AllowedNetworks { get; set; }

    /// <summary>
    /// Folders file:// datasets are read from: the dataset and every image it names must really lie under one, links
    /// resolved. Empty: file:// datasets are refused (a BeginTraining names any path it likes); <c>pipeline up</c> sets
    /// the folder it runs in.
    /// </summary>
    public string[]? AllowedRoots { get; set; }

    /// <summary>Limit on the downloaded file, on an archive's extracted total, and on the images copied.</summary>
    public long MaxDatasetBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>
    /// Limit on each annotation file (manifest, COCO, Label Studio, data.yaml, a VOC XML), checked before a parser reads
    /// it whole. COCO's instances_train2017.json (448 MB) fits the default.
    /// </summary>
    public long MaxAnnotationFileBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Images a dataset may list (COCO's train2017 has 118,287).</summary>
    public int MaxImages { get; set; } = 200_000;

    /// <summary>Annotations a dataset may list in all (COCO's train2017 has 860,001).</summary>
    public long MaxAnnotations { get; set; } = 2_000_000;

    /// <summary>Categories a dataset may list: each is an output channel of the network.</summary>
    public int MaxCategories { get; set; } = 1_000;

    /// <summary>
    /// Entries (files and folders) an archive may hold: a zip of a million empty files costs inodes and time, not bytes.
    /// COCO's train2017 (118,287 images) needs more than the default.
    /// </summary>
    public int MaxArchiveEntries { get; set; } = 50_000;

    /// <summary>Extracted bytes per archive byte, checked once past <see cref="CompressionRatioFloor"/>: a bomb is refused early.</summary>
    public double MaxCompressionRatio { get; set; } = 100;

    /// <summary>Extracted bytes below which the ratio is not judged: small archives of text compress far more than images do.</summary>
    public long CompressionRatioFloor { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Share of the train images moved to the test split when a dataset has no test images, so that the training is
    /// evaluated on images it did not learn from; 0 keeps evaluating on the train images.
    /// </summary>
    public double HeldOutShare { get; set; } = 0.1;

    /// <summary>Which images are held out is drawn from this seed: the same dataset holds out the same images.</summary>
    public int HeldOutSeed { get; set; } = 1;

    /// <summary>A progress line is logged every this many images.</summary>
    public int ProgressEvery { get; set; } = 500;

    /// <summary>Images checked and copied at once; 0 means one per processor.</summary>
    public int MaxParallelImages { get; set; }

    /// <summary>The whole download, body included: a server that trickles a byte a second is cut off here.</summary>
    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Until a response's headers arrive, per request (each redirect hop is one).</summary>
    public TimeSpan HeaderTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Redirects followed, each checked like the first address, before the download is refused.</summary>
    public int MaxRedirects { get; set; } = 5;

    /// <summary>Scratch folder for downloads and extracted archives; empty means the system's temp folder.</summary>
    public string? WorkFolder { get; set; }

    public IReadOnlyList<string> Schemes => AllowedSchemes is { Length: > 0 } schemes ? schemes : DefaultSchemes;
}
