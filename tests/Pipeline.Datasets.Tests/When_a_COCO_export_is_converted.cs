using System.Text.Json;

namespace Pipeline.Datasets.Tests;

public sealed class When_a_COCO_export_is_converted
{
    private static DatasetManifest Convert(string json, string defaultSplit = "train")
    {
        using var document = JsonDocument.Parse(json);
        return CocoConverter.ToManifest(document.RootElement, defaultSplit);
    }

    [Fact]
    public void Crowd_and_boxless_annotations_are_left_out_and_images_default_to_the_given_split()
    {
        var manifest = Convert("""
            {
              "images": [ { "id": 1, "file_name": "a.png", "width": 8, "height": 6 }, { "id": "b", "file_name": "b.png", "split": "val" } ],
              "annotations": [
                { "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4] },
                { "image_id": 1, "category_id": 3, "bbox": [0, 0, 5, 5], "iscrowd": 1 },
                { "image_id": 1, "category_id": 3, "segmentation": [[0, 0, 1, 1]] }
              ],
              "categories": [ { "id": 3, "name": "cat" } ]
            }
            """, defaultSplit: "test");

        Assert.Equal([new Category { Id = "3", Name = "cat", Type = CategoryType.Box }], manifest.Categories);
        Assert.Equal(["test", "val"], manifest.Images.Select(image => image.Split));
        Assert.Equal((8, 6), (manifest.Images[0].Width, manifest.Images[0].Height));
        var annotation = Assert.Single(manifest.Images[0].Annotations);
        Assert.Equal(("3", 1.0, 2.0, 3.0, 4.0), (annotation.CategoryId, annotation.X, annotation.Y, annotation.Width, annotation.Height));
        Assert.Empty(manifest.Images[1].Annotations);
    }

    [Theory]
    [InlineData("""{ "images": [] }""", "COCO JSON needs arrays 'images' and 'categories'.")]
    [InlineData("""{ "images": [ { "id": 1 } ], "categories": [] }""", "COCO entry lacks the text 'file_name': { \"id\": 1 }")]
    [InlineData("""{ "images": [], "categories": [ { "id": null, "name": "cat" } ] }""", "COCO field 'id' is Null, not an id.")]
    [InlineData("""{ "images": [], "categories": [], "annotations": [ { "image_id": 1, "bbox": [1, 2, 3] } ] }""", "COCO annotation of image 1 has a bbox of 3 numbers, not 4.")]
    [InlineData("""{ "images": [], "categories": [], "annotations": [ { "image_id": 1, "bbox": [1, "2", 3, 4] } ] }""", "COCO bbox holds \"2\", not a number.")]
    [InlineData("""{ "images": [ { "id": 1, "file_name": "a.png", "width": 1.5 } ], "categories": [] }""", "COCO field 'width' is 1.5, not a whole number.")]
    [InlineData("""{ "images": [], "categories": [], "annotations": [ { "image_id": 1, "iscrowd": 0.5, "bbox": [1, 2, 3, 4] } ] }""", "COCO field 'iscrowd' is 0.5, not a whole number.")]
    public void Bad_input_is_refused_with_a_message_saying_what_is_wrong(string json, string message) =>
        Assert.Equal(message, Assert.Throws<DatasetFormatException>(() => Convert(json)).Message);

    [Fact]
    public void A_bad_coco_file_is_refused_by_the_loader_naming_the_file()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("datasets-coco-").FullName, "coco.json");
        try
        {
            File.WriteAllText(path, """{ "images": [ { "id": 1, "file_name": "a.png" } ], "categories": [ { "name": "cat" } ] }""");

            var error = Assert.Throws<InvalidDataException>(() => DatasetLoader.LoadCoco(path));

            Assert.StartsWith($"{path}: COCO entry lacks 'id'", error.Message);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
