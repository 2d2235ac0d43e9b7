using System.Text.Json;

namespace Pipeline.Vision.Data;

public static class VisionJson
{
    /// <summary>The options of every JSON file this library writes (model.json, checkpoints): the dataset files' own.</summary>
    public static JsonSerializerOptions Options => DatasetJson.Options;
}
