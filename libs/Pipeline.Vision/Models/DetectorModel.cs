using System.Text.Json;
using Pipeline.Vision.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Vision.Models;

/// <summary>
/// A detector ready to use: the network, its categories and resolution, on a device. Created fresh for training,
/// loaded from a model folder (weights + model.json) for detection, saved back the same way.
/// </summary>
public sealed class DetectorModel : IDisposable
{
    public const string WeightsFile = "weights.bin";

    private DetectorModel(CenterNet network, IReadOnlyList<Category> categories, int width, int resolution, Device device)
    {
        Network = network;
        Layout = new CategoryLayout(categories);
        Width = width;
        Resolution = resolution;
        Device = device;
    }

    public CenterNet Network { get; }
    public CategoryLayout Layout { get; }
    public IReadOnlyList<Category> Categories => Layout.Categories;
    public int Width { get; }
    public int Resolution { get; }
    public Device Device { get; }
    public Hyperparameters? Hyperparameters { get; set; }
    public TrainingMetrics? Metrics { get; set; }

    /// <summary>model.json's architecture: the network and its width, since the weights only load into a network of that width.</summary>
    public string Architecture => ArchitectureOf(Width);

    public static string ArchitectureOf(int width) => $"{CenterNet.ArchitectureName}-w{width}";

    /// <summary>The width an architecture name says; throws InvalidDataException for a network this library does not know.</summary>
    public static int WidthOf(string architecture)
    {
        var prefix = $"{CenterNet.ArchitectureName}-w";
        return architecture.StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(architecture.AsSpan(prefix.Length), out var width) && width > 0
            ? width
            : throw new InvalidDataException($"Unknown architecture '{architecture}': this library runs {prefix}N");
    }

    private static readonly Lock CreationLock = new();

    /// <summary>A new network with random weights, seeded so the same seed gives the same weights.</summary>
    public static DetectorModel Create(IReadOnlyList<Category> categories, int width, int resolution, Device? device = null, int seed = 1)
    {
        if (categories.Count == 0)
        {
            throw new ArgumentException("A model needs at least one category", nameof(categories));
        }

        if (resolution % 16 != 0 || resolution < 32)
        {
            throw new ArgumentException("Resolution must be a multiple of 16, at least 32", nameof(resolution));
        }

        device ??= CPU;
        var layout = new CategoryLayout(categories);
        CenterNet network;
        // The layers draw their weights from torch's one global generator: two models created at once (parallel tests,
        // two trainings in one process) would interleave their draws and neither would get its seed's weights.
        lock (CreationLock)
        {
            torch.random.manual_seed(seed);
            network = new CenterNet(layout.Spatial.Count, layout.Classification.Count, width);
        }

        network.to(device);
        return new DetectorModel(network, categories, width, resolution, device);
    }

    /// <summary>Detects on the images' files, <paramref name="batchSize"/> images per forward pass, decoding in parallel.</summary>
    public IReadOnlyList<DetectedImage> Detect(IReadOnlyList<DatasetImage> images, float minConfidence = 0.3f, int batchSize = 16) =>
        DetectBatches(images.Count, batchSize, minConfidence, i =>
        {
            var chw = ImageDecoder.LoadResizedChw(images[i].Path, Resolution, out var w, out var h);
            return (images[i].Id, chw, w, h);
        });

    /// <summary>Detects on images already decoded at this model's <see cref="Resolution"/>, <paramref name="batchSize"/> per forward pass.</summary>
    public IReadOnlyList<DetectedImage> Detect(IReadOnlyList<ResizedImage> images, float minConfidence = 0.3f, int batchSize = 16)
    {
        var plane = 3 * Resolution * Resolution;
        if (images.FirstOrDefault(image => image.Chw.Length != plane) is { } wrong)
        {
            throw new ArgumentException($"Image '{wrong.Id}' holds {wrong.Chw.Length} bytes, not 3x{Resolution}x{Resolution}", nameof(images));
        }

        return DetectBatches(images.Count, batchSize, minConfidence, i => (images[i].Id, images[i].Chw, images[i].Width, images[i].Height));
    }

    private List<DetectedImage> DetectBatches(int count, int batchSize, float minConfidence, Func<int, (string Id, byte[] Chw, int Width, int Height)> load)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var results = new List<DetectedImage>(count);
        for (var start = 0; start < count; start += batchSize)
        {
            var n = Math.Min(batchSize, count - start);
            var decoded = new (string Id, byte[] Chw, int Width, int Height)[n];
            Parallel.For(0, n, i => decoded[i] = load(start + i));
            var detections = Forward(decoded.Select(d => d.Chw).ToList(), decoded.Select(d => (d.Width, d.Height)).ToList(), minConfidence);
            for (var i = 0; i < n; i++)
            {
                results.Add(new DetectedImage(decoded[i].Id, decoded[i].Width, decoded[i].Height, detections[i]));
            }
        }
        return results;
    }

    private List<List<Detection>> Forward(IReadOnlyList<byte[]> chw, IReadOnlyList<(int Width, int Height)> sizes, float minConfidence)
    {
        var plane = 3 * Resolution * Resolution;
        var wasTraining = Network.training;
        Network.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var input = empty([chw.Count, 3, Resolution, Resolution]);
            var pixels = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(input.bytes);
            for (var i = 0; i < chw.Count; i++)
            {
                Training.Augmentation.CopyNormalised(chw[i], pixels.Slice(i * plane, plane), Resolution, false, false);
            }

            if (Device.type != DeviceType.CPU)
            {
                input = input.to(Device);
            }

            var output = Network.forward(input);
            return CenterNetDecoder.Decode(output, Layout, sizes, Resolution, minConfidence);
        }
        finally
        {
            if (wasTraining)
            {
                Network.train();
            }
        }
    }

    /// <summary>The contracts' model.json for this model and <paramref name="files"/>.</summary>
    public ModelDescription Describe(IReadOnlyList<ModelFile> files) => new()
    {
        Architecture = Architecture, Resolution = Resolution, Categories = Categories,
        Hyperparameters = Hyperparameters ?? new Hyperparameters { Resolution = Resolution }, Metrics = Metrics, Files = files,
    };

    /// <summary>Writes weights.bin and model.json (the weights' sha256 and length) into <paramref name="directory"/>.</summary>
    public ModelDescription Save(string directory)
    {
        Directory.CreateDirectory(directory);
        Network.save(Path.Combine(directory, WeightsFile));
        var description = Describe([FileHashes.Describe(directory, WeightsFile)]);
        File.WriteAllText(Path.Combine(directory, ModelDescription.FileName), JsonSerializer.Serialize(description, ContractJson.Files));
        return description;
    }

    /// <param name="registeredSha256">model.json's sha256 as the registry recorded it, checked on the very bytes parsed.</param>
    /// <exception cref="ChecksumMismatchException">model.json is not the one the registry recorded.</exception>
    public static ModelDescription ReadDescription(string directory, string? registeredSha256 = null)
    {
        var path = Path.Combine(directory, ModelDescription.FileName);
        var bytes = File.ReadAllBytes(path);
        if (registeredSha256 is not null)
        {
            var actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
            if (!string.Equals(actual, registeredSha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new ChecksumMismatchException(path, registeredSha256, actual, ChecksumMismatchException.Registry);
            }
        }

        return (bytes.Length == 0 ? null : JsonSerializer.Deserialize<ModelDescription>(bytes, ContractJson.Files))
            ?? throw new InvalidDataException($"{path} is empty");
    }

    /// <summary>
    /// Reads model.json (checked against the registry's record of it when given), verifies the sha256 of every file it
    /// lists, and loads the weights. A registered model is loaded with its record, so files swapped in the artifact store
    /// together with their model.json are refused.
    /// </summary>
    /// <exception cref="ChecksumMismatchException">model.json or a listed file's content differs; the message names the file.</exception>
    public static DetectorModel Load(string directory, Device? device = null, string? registeredSha256 = null)
    {
        var description = ReadDescription(directory, registeredSha256);
        int width;
        try
        {
            width = WidthOf(description.Architecture);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Path.Combine(directory, ModelDescription.FileName)}: {e.Message}", e);
        }
        if (!description.Files.Any(f => f.Name == WeightsFile))
        {
            throw new InvalidDataException($"{Path.Combine(directory, ModelDescription.FileName)} lists no {WeightsFile}");
        }

        FileHashes.Verify(directory, description.Files);
        var categories = description.Categories;
        var model = Create(categories, width, description.Resolution, CPU);
        model.Network.load(Path.Combine(directory, WeightsFile));
        var target = device ?? CPU;
        if (target.type != DeviceType.CPU)
        {
            model.Network.to(target);
        }

        var loaded = new DetectorModel(model.Network, categories, width, description.Resolution, target)
        {
            Hyperparameters = description.Hyperparameters, Metrics = description.Metrics,
        };
        loaded.Network.eval();
        return loaded;
    }

    public void Dispose() => Network.Dispose();
}
