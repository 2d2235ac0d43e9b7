using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pipeline.Tests.Shared;
using Pipeline.Contracts;
using Pipeline.Downloader.Datasets;
using Pipeline.Downloader.Http;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Tests;

/// <summary>The Downloader's work classes over a temporary artifact store, without a bus.</summary>
public sealed class DownloaderHarness : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "downloader-store", Guid.NewGuid().ToString("N"));

    public DownloaderHarness(DownloaderSettings? settings = null)
    {
        Settings = settings ?? new DownloaderSettings();
        Settings.WorkFolder ??= Path.Combine(root, "work");
        // The tests' servers are on loopback, which the address policy refuses unless opened.
        Settings.AllowedNetworks ??= ["127.0.0.1/32"];
        // The tests' datasets are written under the temp folder; file:// datasets are refused where no root is named.
        Settings.AllowedRoots ??= [Path.GetTempPath()];
        Store = new FileSystemArtifactStore(Path.Combine(root, "store"));
        Watched = new WatchedStore(Store);
        var options = Options.Create(Settings);
        Importer = new DatasetImporter(Watched, new DatasetSource(new GuardedHttpClientFactory(Settings), options, NullLogger<DatasetSource>.Instance),
            options, NullLogger<DatasetImporter>.Instance);
    }

    public DownloaderSettings Settings { get; }

    public FileSystemArtifactStore Store { get; }

    /// <summary>The store as the importer sees it, noting what it changes.</summary>
    public WatchedStore Watched { get; }

    public DatasetImporter Importer { get; }

    public Guid TrainingId { get; } = Guid.NewGuid();

    public Task<DownloadedDataset> ImportAsync(
        string uri, DatasetFormat format = DatasetFormat.Manifest, string? sha256 = null,
        IReadOnlyList<Category>? categories = null, DetectionScope detectOn = DetectionScope.AllImages, string? testUri = null,
        bool includeInbox = false, int attempt = 1, string? imagesFolder = null) =>
        Importer.ImportAsync(new DownloadTrainingData
        {
            TrainingId = TrainingId, Attempt = attempt, DatasetUri = uri, DatasetFormat = format, DatasetSha256 = sha256,
            Categories = categories ?? [], DetectOn = detectOn, TestDatasetUri = testUri,
            Organization = Organization, Project = Project, IncludeInbox = includeInbox, ImagesFolder = imagesFolder,
        }, CancellationToken.None);

    public string Organization { get; } = "acme";

    public string Project { get; } = "shapes";

    public Task<DatasetManifest> ManifestAsync(int attempt = 1) => Store.ReadAsync<DatasetManifest>(ArtifactKeys.DatasetManifest(TrainingId, attempt));

    public Task<List<string>> DetectionListAsync() => Store.ReadAsync<List<string>>(ArtifactKeys.DetectionList(TrainingId, 1));

    /// <summary>
    /// Every file called <paramref name="name"/> anywhere under the harness's folder, which holds the work folder and the
    /// store: where an archive entry that climbs out of its extraction folder (work/&lt;id&gt;-&lt;guid&gt;/extracted) would land.
    /// </summary>
    public IReadOnlyList<string> FilesNamed(string name) =>
        Directory.Exists(root) ? Directory.GetFiles(root, name, SearchOption.AllDirectories) : [];

    public static string FileUri(string path) => new Uri(path).AbsoluteUri;

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The Downloader's own handler, as Program.cs registers it.</summary>
    private sealed class GuardedHttpClientFactory(DownloaderSettings settings) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(DatasetHttpHandler.Create(settings)) { Timeout = Timeout.InfiniteTimeSpan };
    }
}
