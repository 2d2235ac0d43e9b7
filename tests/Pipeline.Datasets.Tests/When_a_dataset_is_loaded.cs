namespace Pipeline.Datasets.Tests;

public sealed class When_a_dataset_is_loaded : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("datasets-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private const string Manifest = """
        {
          "categories": [
            { "id": "1", "name": "circle", "type": "box" },
            { "id": "2", "name": "square", "type": "box" }
          ],
          "images": [
            { "id": "a", "file": "a.png", "width": 64, "height": 48, "split": "train",
              "annotations": [
                { "categoryId": "1", "x": 4, "y": 5, "width": 10, "height": 12 },
                { "categoryId": "2", "x": 30, "y": 20, "width": 8, "height": 8 } ] },
            { "id": "b", "file": "b.jpg", "width": 32, "height": 32, "split": "test", "annotations": [] }
          ]
        }
        """;

    private const string Coco = """
        {
          "images": [
            { "id": 7, "file_name": "a.png", "width": 64, "height": 48, "split": "train" },
            { "id": 9, "file_name": "b.jpg", "width": 32, "height": 32, "split": "test" }
          ],
          "annotations": [
            { "id": 1, "image_id": 7, "category_id": 1, "bbox": [4, 5, 10, 12], "area": 120, "iscrowd": 0 },
            { "id": 2, "image_id": 7, "category_id": 2, "bbox": [30, 20, 8, 8], "area": 64, "iscrowd": 0 }
          ],
          "categories": [ { "id": 1, "name": "circle" }, { "id": 2, "name": "square" } ]
        }
        """;

    [Fact]
    public void Manifest_and_coco_describing_the_same_images_load_the_same_dataset()
    {
        File.WriteAllText(Path.Combine(folder, "manifest.json"), Manifest);
        File.WriteAllText(Path.Combine(folder, "coco.json"), Coco);

        var fromManifest = DatasetLoader.Load(Path.Combine(folder, "manifest.json"));
        var fromCoco = DatasetLoader.Load(Path.Combine(folder, "coco.json"));

        Assert.Equal(fromManifest.Categories, fromCoco.Categories);
        Assert.Equal(2, fromCoco.Images.Count);
        // Image ids differ by format (COCO's are numbers); everything else is the same.
        Assert.Equal(fromManifest.Images.Select(Comparable), fromCoco.Images.Select(Comparable));
        Assert.Equal(new Box(4, 5, 10, 12), fromCoco.Images[0].Annotations[0].Box);
        Assert.Equal(Path.Combine(folder, "b.jpg"), fromCoco.Images[1].Path);
        Assert.Equal(DatasetSplit.Test, fromCoco.Images[1].Split);
    }

    [Fact]
    public void A_generated_dataset_reads_back_the_same_from_its_manifest_and_its_coco_file()
    {
        var generated = ShapesDataset.Generate(folder, new ShapesDatasetOptions { TrainImages = 6, TestImages = 2, Size = 64, MaxShapeSize = 20 });

        var fromManifest = DatasetLoader.LoadManifest(Path.Combine(folder, "manifest.json"));
        var fromCoco = DatasetLoader.LoadCoco(Path.Combine(folder, "coco.json"));

        Assert.Equal(generated.Images.Select(Comparable), fromManifest.Images.Select(Comparable));
        // COCO's category ids are numbers, so the same categories come back with other ids: compare by name.
        Assert.Equal(ByName(fromManifest), ByName(fromCoco));
        Assert.Equal(6, fromManifest.Train.Count);
        Assert.Equal(2, fromManifest.Test.Count);
        Assert.All(fromManifest.Images, i => Assert.True(File.Exists(i.Path)));
    }

    [Fact]
    public void The_generator_is_deterministic_from_its_seed()
    {
        var options = new ShapesDatasetOptions { TrainImages = 3, TestImages = 1, Size = 64, MaxShapeSize = 20, Seed = 42 };
        var first = ShapesDataset.Generate(Path.Combine(folder, "1"), options);
        var second = ShapesDataset.Generate(Path.Combine(folder, "2"), options);

        Assert.Equal(first.Images.Select(i => i.Annotations.ToList()).SelectMany(a => a), second.Images.Select(i => i.Annotations.ToList()).SelectMany(a => a));
        Assert.Equal(File.ReadAllBytes(first.Images[0].Path), File.ReadAllBytes(second.Images[0].Path));
    }

    [Fact]
    public void An_annotation_naming_an_unknown_category_is_refused_naming_the_file()
    {
        var path = Path.Combine(folder, "manifest.json");
        File.WriteAllText(path, Manifest.Replace("\"categoryId\": \"2\"", "\"categoryId\": \"3\""));

        var error = Assert.Throws<InvalidDataException>(() => DatasetLoader.LoadManifest(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("unknown category 3", error.Message);
    }

    private static IEnumerable<object> ByName(VisionDataset dataset)
    {
        var names = dataset.Categories.ToDictionary(c => c.Id, c => c.Name);
        return dataset.Images.Select(image => Comparable(image with
        {
            Annotations = image.Annotations.Select(a => a with { CategoryId = names[a.CategoryId] }).ToList(),
        }));
    }

    private static object Comparable(DatasetImage image) =>
        (image.Path, image.Width, image.Height, image.Split, string.Join(";", image.Annotations));
}
