using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>The status API's JSON: web defaults with enums as names, as the Orchestrator writes it.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
}
