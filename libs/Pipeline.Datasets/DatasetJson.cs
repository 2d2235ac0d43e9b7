using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Datasets;

// The dataset manifest on disk is the contracts' DatasetManifest; this library only adds its in-memory split.

public enum DatasetSplit
{
    Train,
    Test,
}

public static class DatasetJson
{
    /// <summary>camelCase, enums as their camelCase names, indented: every JSON file this library writes (as the pipeline's ArtifactJson).</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
