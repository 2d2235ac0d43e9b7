using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
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
    /// <summary>
    /// How files are written and read: the artifact store's, a dataset's manifest, model.json, checkpoints. camelCase,
    /// enums as their camelCase names, indented, nulls left out.
    /// </summary>
    public static JsonSerializerOptions Files { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        if (!options.Converters.OfType<JsonStringEnumConverter>().Any())
        {
            options.Converters.Add(new JsonStringEnumConverter());
        }

        options.TypeInfoResolver = (options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(ReadIncompleteBeginTraining);
        return options;
    }

    /// <summary>The records a client in another language writes or reads, by the name their schema is served under.</summary>
    public static readonly IReadOnlyDictionary<string, Type> SchemaTypes = new Dictionary<string, Type>
    {
        [nameof(BeginTraining)] = typeof(BeginTraining),
        [nameof(TrainingSummary)] = typeof(TrainingSummary),
        [nameof(TrainingDetails)] = typeof(TrainingDetails),
        [nameof(ProgressPoint)] = typeof(ProgressPoint),
        [nameof(ModelVersion)] = typeof(ModelVersion),
        [nameof(QueueStatus)] = typeof(QueueStatus),
        [nameof(DetectionSamples)] = typeof(DetectionSamples),
    };

    /// <summary>
    /// The JSON Schema of a contract as the status API writes and reads it (camelCase, enums as names), with the fields a
    /// client must send marked required: generated from the records, so the schema cannot drift from them.
    /// </summary>
    public static string Schema(Type type)
    {
        // The web defaults and the enum names, without the reading leniency: the schema says what a client must send.
        // Numbers as numbers: the web defaults also read "5" as 5, which a schema need not invite.
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(), NumberHandling = JsonNumberHandling.Strict,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        var schema = options.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true });
        var document = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = type.Name,
        };
        foreach (var (key, value) in schema.AsObject().ToList())
        {
            schema.AsObject().Remove(key);
            document[key] = value;
        }

        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
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
