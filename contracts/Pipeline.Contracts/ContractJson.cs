using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Pipeline.Contracts;

/// <summary>
/// How the contracts are written as JSON, on the bus and over HTTP: an enum as its name, read as a name in any case or
/// as its number, so a client in any language can send <c>"datasetFormat": "coco"</c>. A BeginTraining is read even
/// when a required field is missing: the Orchestrator fails that training naming the field, where a deserialization
/// error would have sent it to <c>training-state_error</c> with no training for the user to see.
/// </summary>
public static class ContractJson
{
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        if (!options.Converters.OfType<JsonStringEnumConverter>().Any())
        {
            options.Converters.Add(new JsonStringEnumConverter());
        }

        options.TypeInfoResolver = (options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(ReadIncompleteBeginTraining);
        return options;
    }

    private static void ReadIncompleteBeginTraining(JsonTypeInfo type)
    {
        if (type.Type != typeof(BeginTraining))
        {
            return;
        }

        foreach (var property in type.Properties)
        {
            property.IsRequired = false;
        }
    }
}
