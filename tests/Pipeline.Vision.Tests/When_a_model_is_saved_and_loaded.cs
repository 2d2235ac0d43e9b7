using Pipeline.Vision.Models;
using TorchSharp;

namespace Pipeline.Vision.Tests;

public sealed class When_a_model_is_saved_and_loaded : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("vision-model-").FullName;
    private static readonly IReadOnlyList<Category> Categories =
    [
        new() { Id = "circle", Name = "circle", Type = CategoryType.Box },
        new() { Id = "cross", Name = "cross", Type = CategoryType.Point },
        new() { Id = "dark", Name = "dark", Type = CategoryType.Classification },
    ];

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void A_saved_model_loads_with_the_same_outputs_categories_and_description()
    {
        using var model = DetectorModel.Create(Categories, width: 4, resolution: 32, seed: 3);
        model.Hyperparameters = new Hyperparameters { Iterations = 7, Resolution = 32 };
        model.Save(folder);

        using var loaded = DetectorModel.Load(folder);

        // As every production pass runs: inside a dispose scope, which holds each tensor the pass makes until it ends.
        // Outside one, a temporary that only libtorch still reads (one a Sequential hands from layer to layer, inside
        // TorchSharp) can be finalised mid-pass: the heatmap came out all NaN, the original model's as well as the loaded
        // one's, in one clean-clone CI run even after CenterNet.forward kept its own intermediates.
        using var scope = torch.NewDisposeScope();
        using var input = torch.rand(2, 3, 32, 32, generator: new torch.Generator(5));
        model.Network.eval();
        using var noGrad = torch.no_grad();
        // What was saved comes back exactly: every weight and running statistic, bit for bit.
        var saved = model.Network.state_dict();
        var restored = loaded.Network.state_dict();
        Assert.Equal(saved.Keys.Order(), restored.Keys.Order());
        Assert.All(saved, entry => Assert.True(entry.Value.allclose(restored[entry.Key], rtol: 0, atol: 0), $"{entry.Key} differs after loading"));
        // The outputs agree to float32 precision, relative to each head's largest value.
        var expected = model.Network.forward(input);
        var actual = loaded.Network.forward(input);
        AssertAgreeToFloat32Precision(expected.Heatmap, actual.Heatmap, "heatmap");
        AssertAgreeToFloat32Precision(expected.Size, actual.Size, "size");
        AssertAgreeToFloat32Precision(expected.Offset, actual.Offset, "offset");
        AssertAgreeToFloat32Precision(expected.Classes, actual.Classes, "classes");
        Assert.Equal(Categories, loaded.Categories);
        Assert.Equal((4, 32, 7), (loaded.Width, loaded.Resolution, loaded.Hyperparameters!.Iterations));
        var description = DetectorModel.ReadDescription(folder);
        Assert.Equal($"{CenterNet.ArchitectureName}-w4", description.Architecture);
        var weights = Assert.Single(description.Files);
        Assert.Equal((DetectorModel.WeightsFile, 64, new FileInfo(Path.Combine(folder, DetectorModel.WeightsFile)).Length), (weights.Name, weights.Sha256.Length, weights.Length));
    }

    private static void AssertAgreeToFloat32Precision(torch.Tensor expected, torch.Tensor actual, string head)
    {
        var scale = Math.Max(1.0, expected.abs().max().ToDouble());
        var difference = (expected - actual).abs().max().ToDouble();
        Assert.True(difference <= 1e-5 * scale, $"the {head} head differs by {difference} (largest value {scale})");
    }

    [Fact]
    public void Models_created_on_many_threads_at_once_each_get_their_seeds_weights()
    {
        using var reference = DetectorModel.Create(Categories, width: 4, resolution: 32, seed: 11);
        var expected = reference.Network.parameters().Select(p => p.clone()).ToList();

        var concurrent = new DetectorModel[16];
        Parallel.For(0, concurrent.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            i => concurrent[i] = DetectorModel.Create(Categories, width: 4, resolution: 32, seed: i % 2 == 0 ? 11 : 12));

        foreach (var model in concurrent.Where((_, i) => i % 2 == 0))
        {
            Assert.All(model.Network.parameters().Zip(expected), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0), "weights differ from the seed's"));
        }

        foreach (var model in concurrent)
        {
            model.Dispose();
        }
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    public void Loading_a_model_whose_model_json_names_a_path_outside_its_folder_throws_naming_it(string name)
    {
        using (var model = DetectorModel.Create(Categories, width: 4, resolution: 32))
        {
            model.Save(folder);
        }

        var description = DetectorModel.ReadDescription(folder);
        var hostile = description with { Files = [.. description.Files, new ModelFile { Name = name, Sha256 = new string('0', 64) }] };
        File.WriteAllText(Path.Combine(folder, ModelDescription.FileName), System.Text.Json.JsonSerializer.Serialize(hostile, ContractJson.Files));

        var error = Assert.Throws<InvalidDataException>(() => DetectorModel.Load(folder));

        Assert.Contains($"model.json names file '{name}', which is not a plain file name inside the model's folder", error.Message);
    }

    [Fact]
    public void Loading_a_model_whose_weights_changed_throws_naming_the_file()
    {
        using (var model = DetectorModel.Create(Categories, width: 4, resolution: 32))
        {
            model.Save(folder);
        }

        var weights = Path.Combine(folder, DetectorModel.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(weights, bytes);

        var error = Assert.Throws<ChecksumMismatchException>(() => DetectorModel.Load(folder));

        Assert.Equal(weights, error.File);
        Assert.Contains(weights, error.Message);
    }

    [Fact]
    public void Decoding_a_single_heatmap_peak_gives_a_box_and_a_point_in_original_pixels()
    {
        // Resolution 32 -> 8x8 cells. Box peak at cell (x 3, y 5), offset (0.5, 0.25), size 2x1 cells.
        // Centre in input pixels: (3.5 * 4, 5.25 * 4) = (14, 21); size (8, 4); box (10, 19, 8, 4).
        // The original image is 64x96: x doubles, y triples -> (20, 57, 16, 12).
        var layout = new CategoryLayout(Categories);
        var heat = torch.full(1, 2, 8, 8, -10f);
        heat[0, 0, 5, 3] = torch.tensor(10f);
        heat[0, 1, 1, 6] = torch.tensor(10f); // cross at cell (6, 1), offset (0.5, 0.25): (26, 5) -> (52, 15)
        var size = torch.zeros(1, 2, 8, 8);
        size[0, 0, 5, 3] = torch.tensor(2f);
        size[0, 1, 5, 3] = torch.tensor(1f);
        var offset = torch.zeros(1, 2, 8, 8);
        offset[0, 0] = torch.full(8, 8, 0.5f);
        offset[0, 1] = torch.full(8, 8, 0.25f);
        var classes = torch.tensor(new[] { 10f }).reshape(1, 1);

        var detections = CenterNetDecoder.Decode(new CenterNetOutput(heat, size, offset, classes), layout, [(64, 96)], 32, minConfidence: 0.5f)[0];

        Assert.Equal(3, detections.Count);
        var box = Assert.Single(detections, d => d.CategoryType == CategoryType.Box);
        Assert.Equal(new Box(20, 57, 16, 12), box.Box);
        var point = Assert.Single(detections, d => d.CategoryType == CategoryType.Point);
        Assert.Equal(new Point2(52, 15), point.Point);
        Assert.Single(detections, d => d.CategoryType == CategoryType.Classification && d.CategoryName == "dark");
    }

    [Fact]
    public void Device_selection_honours_cpu_and_auto_and_refuses_an_unknown_name()
    {
        Assert.Equal(DeviceType.CPU, TorchDevice.Select("cpu").type);
        Assert.Equal(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, TorchDevice.Select("auto").type);
        Assert.Equal(TorchDevice.Select("auto").type, TorchDevice.Select(null).type);
        Assert.Throws<ArgumentException>(() => TorchDevice.Select("tpu"));
        if (!torch.cuda.is_available())
        {
            Assert.Throws<InvalidOperationException>(() => TorchDevice.Select("cuda"));
        }
    }
}
