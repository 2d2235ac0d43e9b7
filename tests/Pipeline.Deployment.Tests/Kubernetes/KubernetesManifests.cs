using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Pipeline.Deployment.Tests.Kubernetes;

/// <summary>
/// deploy/kubernetes as a cluster would receive it: an overlay rendered by <c>kubectl kustomize</c> into a checkout's
/// copy whose accounts (base/accounts/, and each password) scripts/infra.sh has just made, read as JSON objects.
/// </summary>
public sealed partial class KubernetesManifests
{
    public static readonly string[] Overlays = ["cpu", "gpu"];

    private static readonly Lazy<RenderedCopy> Copy = new(RenderedCopy.Make);

    private KubernetesManifests(IReadOnlyList<JsonObject> objects) => Objects = objects;

    public IReadOnlyList<JsonObject> Objects { get; }

    /// <summary>The folder the accounts were made into for this test run (its base/accounts).</summary>
    public static string MadeAccounts => Copy.Value.Accounts;

    public static KubernetesManifests Render(string overlay) => Copy.Value.Rendered[overlay];

    public static KubernetesManifests Parse(string yaml) => new(ParseYaml(yaml));

    public IEnumerable<JsonObject> OfKind(string kind) => Objects.Where(o => Kind(o) == kind);

    public JsonObject Single(string kind, string name) =>
        OfKind(kind).SingleOrDefault(o => Name(o) == name) ?? throw new Xunit.Sdk.XunitException($"No {kind} {name} in the manifests.");

    public JsonObject? Find(string kind, string name) => OfKind(kind).SingleOrDefault(o => Name(o) == name);

    public static string Kind(JsonObject o) => (string)o["kind"]!;

    public static string Name(JsonObject o) => (string)o["metadata"]!["name"]!;

    /// <summary>A Deployment's or Job's pod template spec.</summary>
    public static JsonObject PodSpec(JsonObject workload) => workload["spec"]!["template"]!["spec"]!.AsObject();

    public static JsonObject Container(JsonObject workload) => PodSpec(workload)["containers"]![0]!.AsObject();

    /// <summary>The labels of a workload's pods.</summary>
    public static IReadOnlyDictionary<string, string> PodLabels(JsonObject workload) =>
        workload["spec"]!["template"]!["metadata"]!["labels"]!.AsObject().ToDictionary(l => l.Key, l => (string)l.Value!);

    /// <summary>
    /// A container's settings as configuration reads them (<c>RabbitMq:Host</c>), from its env and the ConfigMaps it takes
    /// whole; a value from a Secret reads <c>secret:NAME/KEY</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings(JsonObject container)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var source in container["envFrom"]?.AsArray() ?? [])
        {
            var map = Single("ConfigMap", (string)source!["configMapRef"]!["name"]!);
            foreach (var (key, value) in map["data"]!.AsObject())
            {
                settings[key.Replace("__", ":")] = (string)value!;
            }
        }

        foreach (var variable in container["env"]?.AsArray() ?? [])
        {
            var secret = variable!["valueFrom"]?["secretKeyRef"];
            settings[((string)variable["name"]!).Replace("__", ":")] =
                secret is null ? (string?)variable["value"] ?? "" : $"secret:{secret["name"]}/{secret["key"]}";
        }

        return settings;
    }

    private static List<JsonObject> ParseYaml(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Where(d => d.RootNode is YamlMappingNode).Select(d => ToJson(d.RootNode)!.AsObject()).ToList();
    }

    // YAML 1.2's core schema, as Kubernetes reads a manifest: a plain scalar may be a number, a boolean or null.
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, ToJson(p.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var plain } => plain switch
        {
            null or "" or "null" or "~" => null,
            "true" or "false" => JsonValue.Create(plain == "true"),
            _ when long.TryParse(plain, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
            _ when Float().IsMatch(plain) => JsonValue.Create(double.Parse(plain, CultureInfo.InvariantCulture)),
            _ => JsonValue.Create(plain),
        },
        YamlScalarNode scalar => JsonValue.Create(scalar.Value ?? ""),
        _ => throw new InvalidOperationException($"Unexpected YAML node {node.NodeType}"),
    };

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    /// <summary>One copy of deploy/kubernetes per test run, with its accounts made and every overlay rendered.</summary>
    private sealed class RenderedCopy
    {
        public required string Accounts { get; init; }

        public required IReadOnlyDictionary<string, KubernetesManifests> Rendered { get; init; }

        public static RenderedCopy Make()
        {
            var copy = Directory.CreateTempSubdirectory("pipeline-kubernetes-").FullName;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(copy, recursive: true);
            CopyFolder(Path.Combine(ServiceCode.Root, "deploy", "kubernetes"), copy);
            var accounts = Path.Combine(copy, "base", "accounts");
            // The ignored passwords of a developer's checkout are not copied: the script makes them as on a fresh clone.
            foreach (var env in Directory.GetFiles(accounts, "*.env"))
            {
                File.Delete(env);
            }

            ServiceCode.Infra("kubernetes", new Dictionary<string, string> { ["PIPELINE_KUBERNETES_ACCOUNTS"] = accounts });
            return new RenderedCopy
            {
                Accounts = accounts,
                Rendered = Overlays.ToDictionary(o => o, o => new KubernetesManifests(ParseYaml(ServiceCode.Run("kubectl", ["kustomize", Path.Combine(copy, "overlays", o)])))),
            };
        }

        private static void CopyFolder(string from, string to)
        {
            foreach (var folder in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            {
                Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, folder)));
            }

            foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            {
                File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
            }
        }
    }
}
