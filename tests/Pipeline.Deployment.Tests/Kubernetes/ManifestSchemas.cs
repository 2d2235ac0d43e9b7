using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Json.Schema;
using k8s;
using k8s.Models;

namespace Pipeline.Deployment.Tests.Kubernetes;

/// <summary>
/// Every object's schema, strictly (a field the schema does not name is an error, as kubeconform's strict mode and the
/// API server's strict field validation make it):
/// <list type="bullet">
/// <item>Kubernetes' own kinds against the official C# client's types (KubernetesClient, generated from Kubernetes'
/// OpenAPI): each field's name and type, and the required fields that are numbers or booleans (the types do not mark a
/// required object or string);</item>
/// <item>the operators' kinds against their CustomResourceDefinitions' openAPIV3Schema, kept in crds/ (README.md there
/// says where each comes from, at which version).</item>
/// </list>
/// </summary>
public static class ManifestSchemas
{
    private static readonly JsonSerializerOptions Strict = StrictOptions();

    /// <summary>Kubernetes' kinds by apiVersion and kind, as the client's types declare them.</summary>
    private static readonly IReadOnlyDictionary<(string ApiVersion, string Kind), Type> BuiltIn =
        typeof(V1Deployment).Assembly.GetTypes()
            .Select(type => (type, entity: type.GetCustomAttribute<KubernetesEntityAttribute>()))
            .Where(t => t.entity is not null && !t.type.Name.EndsWith("List", StringComparison.Ordinal))
            .GroupBy(t => (string.IsNullOrEmpty(t.entity!.Group) ? t.entity.ApiVersion : $"{t.entity.Group}/{t.entity.ApiVersion}", t.entity.Kind))
            .ToDictionary(g => g.Key, g => g.First().type);

    private static readonly Lazy<IReadOnlyDictionary<(string ApiVersion, string Kind), JsonSchema>> Custom = new(ReadDefinitions);

    /// <summary>What is wrong with an object against its kind's schema: nothing, or one line per fault.</summary>
    public static IReadOnlyList<string> Faults(JsonObject o)
    {
        var key = ((string?)o["apiVersion"] ?? "", (string?)o["kind"] ?? "");
        var what = $"{key.Item2} {o["metadata"]?["name"]}";
        if (BuiltIn.TryGetValue(key, out var type))
        {
            try
            {
                JsonSerializer.Deserialize(o.ToJsonString(), type, Strict);
                return [];
            }
            catch (JsonException e)
            {
                return [$"{what}: {e.Message}"];
            }
        }

        if (Custom.Value.TryGetValue(key, out var schema))
        {
            var result = schema.Evaluate(o, new EvaluationOptions { OutputFormat = OutputFormat.List });
            return result.IsValid
                ? []
                : (result.Details ?? [])
                    .Where(d => d.Errors is { Count: > 0 })
                    .SelectMany(d => d.Errors!.Select(e => $"{what}: {d.InstanceLocation}: {e.Value}"))
                    .DefaultIfEmpty($"{what}: invalid")
                    .ToList();
        }

        return [$"{what}: no schema for apiVersion {key.Item1}, kind {key.Item2}"];
    }

    private static JsonSerializerOptions StrictOptions()
    {
        // The client's own options (its converters for quantities, int-or-string and times), refusing unknown members.
        JsonSerializerOptions? client = null;
        KubernetesJson.AddJsonOptions(options => client = options);
        return new JsonSerializerOptions(client!)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            // The types mark an optional number or boolean nullable and a required one not (a Service port's number): the
            // required ones must be there. A required object or string is not marked (a Deployment's selector).
            TypeInfoResolver = client!.TypeInfoResolver!.WithAddedModifier(type =>
            {
                foreach (var property in type.Properties.Where(p => p.PropertyType.IsValueType && Nullable.GetUnderlyingType(p.PropertyType) is null))
                {
                    property.IsRequired = true;
                }
            }),
        };
    }

    private static IReadOnlyDictionary<(string, string), JsonSchema> ReadDefinitions()
    {
        var schemas = new Dictionary<(string, string), JsonSchema>();
        foreach (var file in Directory.GetFiles(Path.Combine(ServiceCode.Root, "tests", "Pipeline.Deployment.Tests", "Kubernetes", "crds"), "*.yaml"))
        {
            var definition = KubernetesManifests.Parse(File.ReadAllText(file)).Objects.Single();
            var group = (string)definition["spec"]!["group"]!;
            var kind = (string)definition["spec"]!["names"]!["kind"]!;
            foreach (var version in definition["spec"]!["versions"]!.AsArray())
            {
                var openApi = version!["schema"]!["openAPIV3Schema"]!.DeepClone().AsObject();
                // The API server checks metadata itself, against ObjectMeta; the definition only says it is an object.
                openApi["properties"]!["metadata"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
                schemas[($"{group}/{version["name"]}", kind)] = JsonSchema.FromText(ToJsonSchema(openApi).ToJsonString());
            }
        }

        return schemas;
    }

    /// <summary>
    /// An openAPIV3Schema as the API server applies it, in JSON Schema: x-kubernetes-int-or-string takes either, an
    /// object that does not keep unknown fields (x-kubernetes-preserve-unknown-fields) refuses every field it does not
    /// name.
    /// </summary>
    private static JsonNode ToJsonSchema(JsonNode node)
    {
        if (node is JsonArray array)
        {
            return new JsonArray(array.Select(item => item is null ? null : ToJsonSchema(item)).ToArray());
        }

        if (node is not JsonObject schema)
        {
            return node.DeepClone();
        }

        var converted = new JsonObject();
        foreach (var (name, value) in schema)
        {
            if (name.StartsWith("x-kubernetes-", StringComparison.Ordinal) || name == "nullable")
            {
                continue;
            }

            // properties and patternProperties hold field names, not keywords: each value is a schema.
            converted[name] = name is "properties" or "patternProperties"
                ? new JsonObject(value!.AsObject().Select(p => KeyValuePair.Create(p.Key, (JsonNode?)ToJsonSchema(p.Value!))))
                : value is null ? null : ToJsonSchema(value);
        }

        if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true)
        {
            converted.Remove("type");
            converted["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" });
        }

        var keepsUnknown = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
        if ((string?)schema["type"] == "object" && !keepsUnknown && !schema.ContainsKey("additionalProperties"))
        {
            converted["additionalProperties"] = false;
        }

        if (schema["nullable"]?.GetValue<bool>() == true && converted["type"] is JsonValue type)
        {
            converted["type"] = new JsonArray((string)type!, "null");
        }

        return converted;
    }
}
