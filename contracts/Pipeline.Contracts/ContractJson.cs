using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Contracts;

/// <summary>
/// How the contracts are written as JSON, on the bus and over HTTP: an enum as its name, read as a name in any case or
/// as its number, so a client in any language can send <c>"datasetFormat": "coco"</c>.
/// </summary>
public static class ContractJson
{
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        if (!options.Converters.OfType<JsonStringEnumConverter>().Any())
        {
            options.Converters.Add(new JsonStringEnumConverter());
        }

        return options;
    }
}
