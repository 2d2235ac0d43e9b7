using System.Diagnostics;
using System.IO.Compression;
using Pipeline.Contracts;
using Pipeline.Datasets.Tests;
using Pipeline.Downloader.Tests;
using Pipeline.Artifacts;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>
/// Datasets and models made to hurt, sent to the real Downloader as BeginTrainings: each training fails at its stage
/// with the reason recorded, the Downloader stays up, nothing reaches the addresses it must not, and a good training
/// begun beside them completes. Every server here is on loopback: 127.0.0.2 is opened to the Downloader, 127.0.0.1 not.
/// </summary>
[Collection(RunningPipelineCollection.Name)]
public sealed class When_datasets_made_to_hurt_reach_the_Downloader(RunningPipelineFixture pipeline) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    // Where the pipeline's own servers listen: refused, so it must see no request at all.
    private readonly LocalHttpServer inside = new("127.0.0.1");
    private readonly LocalHttpServer allowed = new("127.0.0.2");

    [Fact]
    public async Task Every_hostile_dataset_fails_its_training_naming_why_while_the_Downloader_stays_up_and_a_good_training_completes()
    {
        inside.Serve("set.zip", File.ReadAllBytes(Zip(TestDatasets.Write(Folder("served")))));
        allowed.Redirect("moved.zip", inside.Url("set.zip")).Trickle("slow.zip", new byte[64], TimeSpan.FromSeconds(1));
        (string Uri, string Reason)[] cases =
        [
            (inside.Url("set.zip"), "127.0.0.1 is a loopback address"),
            ($"http://localhost:{inside.Port}/set.zip", "host 'localhost' resolves only to refused addresses"),
            (allowed.Url("moved.zip"), $"its redirect to '{inside.Url("set.zip")}': 127.0.0.1 is a loopback address"),
            (allowed.Url("slow.zip"), "did not finish sending within 00:00:03 (Downloader:HttpTimeout)"),
            (FileUri(LinkedParent()), "is outside the allowed folders"),
            (FileUri(WithImage("zero", path => File.CreateSymbolicLink(path, "/dev/zero"))), "is really '/dev/zero', outside the dataset's folders"),
            (FileUri(WithImage("fifo", MakeFifo)), "is a FIFO, not a regular file"),
            (FileUri(OneImage("huge", HostileImages.PngDeclaring(20_000, 20_000))), "1 too large, e.g. images/000.png is 20000x20000 pixels (400 MP), over Images:MaxMegapixels (40)"),
            (FileUri(OneImage("truncated", HostileImages.TruncatedJpeg())), "1 unreadable, e.g. images/000.png a 256x256 jpeg is truncated"),
            (FileUri(ManyEntries()), "holds more than Downloader:MaxArchiveEntries (50000) entries"),
            (FileUri(Bomb()), "refused as a compression bomb"),
        ];

        var begun = new List<(Guid Id, string Uri, string Reason)>();
        foreach (var (uri, reason) in cases)
        {
            begun.Add((await pipeline.BeginAsync(uri), uri, reason));
        }

        var model = await HostileModelAsync();
        var continued = await pipeline.BeginAsync(FileUri(TestDatasets.Write(Folder("continued"))), o => o.BaseModelId = model);
        var good = await pipeline.BeginAsync(FileUri(TestDatasets.Write(Folder("good"))));

        foreach (var (id, uri, reason) in begun)
        {
            var training = await pipeline.WaitForStateAsync(id, Timeout, "Failed", "Completed");
            Assert.True(training.State == "Failed" && training.FailedStage == "DataDownloading", $"{uri}: {training.State} at {training.FailedStage}");
            Assert.Contains(reason, training.Errors["DataDownloading"]);
        }

        var fromModel = await pipeline.WaitForStateAsync(continued, Timeout, "Failed", "Completed");
        Assert.Equal(("Failed", "TrainModelDownloading"), (fromModel.State, fromModel.FailedStage));
        Assert.Contains("Model file name '../../etc/passwd' in model.json", fromModel.Errors["TrainModelDownloading"]);
        Assert.Equal("Completed", (await pipeline.WaitForStateAsync(good, Timeout, "Completed", "Failed")).State);
        Assert.Equal(0, inside.RequestCount("set.zip"));
        Assert.Empty(pipeline.ExitedServices);
    }

    private string Folder(string name) => Path.Combine(pipeline.WorkFolder, $"{name}-{Guid.NewGuid():N}");

    private static string FileUri(string path) => new Uri(path).AbsoluteUri;

    /// <summary>A path under the allowed temp folder whose parent folder is a link to /etc.</summary>
    private string LinkedParent()
    {
        var folder = Directory.CreateDirectory(Folder("linked")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(folder, "etc"), "/etc");
        return Path.Combine(folder, "etc", "passwd");
    }

    /// <summary>A good dataset whose first image is replaced by what <paramref name="make"/> puts at its path.</summary>
    private string WithImage(string name, Action<string> make)
    {
        var folder = TestDatasets.Write(Folder(name));
        var image = Path.Combine(folder, "images", "000.png");
        File.Delete(image);
        make(image);
        return folder;
    }

    /// <summary>A dataset of one image, whose file holds <paramref name="bytes"/>.</summary>
    private string OneImage(string name, byte[] bytes)
    {
        var folder = TestDatasets.Write(Folder(name), images: 1);
        File.WriteAllBytes(Path.Combine(folder, "images", "000.png"), bytes);
        return folder;
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", path);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    private string ManyEntries()
    {
        var archive = Folder("many") + ".zip";
        using var zip = ZipFile.Open(archive, ZipArchiveMode.Create);
        for (var i = 0; i < 100_000; i++)
        {
            zip.CreateEntry($"empty/{i}.txt", CompressionLevel.NoCompression);
        }

        return archive;
    }

    /// <summary>About 200 KB that inflate to 200 MB: a 1000:1 bomb, well under the 2 GiB byte cap.</summary>
    private string Bomb()
    {
        var archive = Folder("bomb") + ".zip";
        using var zip = ZipFile.Open(archive, ZipArchiveMode.Create);
        using var entry = zip.CreateEntry("zeros.bin", CompressionLevel.SmallestSize).Open();
        var zeros = new byte[1024 * 1024];
        for (var i = 0; i < 200; i++)
        {
            entry.Write(zeros);
        }

        return archive;
    }

    private static string Zip(string folder)
    {
        ZipFile.CreateFromDirectory(folder, folder + ".zip");
        return folder + ".zip";
    }

    /// <summary>A registered model whose model.json names a file outside its folder.</summary>
    private async Task<Guid> HostileModelAsync()
    {
        var modelId = Guid.NewGuid();
        await pipeline.Artifacts.WriteJsonAsync(ModelArtifacts.DescriptionKey(ArtifactKeys.RegisteredModel(modelId)), new ModelDescription
        {
            Architecture = "centernet-w4", Resolution = 48, Categories = [TestDatasets.Square], Hyperparameters = new(),
            Files = [new ModelFile { Name = "../../etc/passwd", Sha256 = new string('0', 64), Length = 1 }],
        });
        return modelId;
    }

    public void Dispose()
    {
        inside.Dispose();
        allowed.Dispose();
    }
}
