using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Pipeline.Deployment.Tests;

/// <summary>docker-compose.yml read as Docker reads it (anchors and merge keys resolved), without a Docker engine.</summary>
public sealed partial class ComposeFile
{
    private ComposeFile(string root, string text, Dictionary<object, object> document)
    {
        Root = root;
        Text = text;
        Services = ((Dictionary<object, object>)document["services"])
            .ToDictionary(s => (string)s.Key, s => (Dictionary<object, object>)s.Value);
    }

    public string Root { get; }

    public string Text { get; }

    public IReadOnlyDictionary<string, Dictionary<object, object>> Services { get; }

    /// <summary>The services built from this repository: every one of ours, not the servers.</summary>
    public IEnumerable<string> BuiltServices => Services.Where(s => s.Value.ContainsKey("build")).Select(s => s.Key);

    public static ComposeFile Load(string file = "docker-compose.yml")
    {
        var root = RepositoryRoot();
        var text = File.ReadAllText(Path.Combine(root, file));
        using var reader = new StringReader(text);
        var document = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(new MergingParser(new Parser(reader)));
        return new ComposeFile(root, text, document);
    }

    public string Dockerfile(string service) =>
        (string)((Dictionary<object, object>)Services[service]["build"])["dockerfile"];

    public IReadOnlyDictionary<string, string> Environment(string service) =>
        Services[service].TryGetValue("environment", out var environment)
            ? ((Dictionary<object, object>)environment).ToDictionary(e => (string)e.Key, e => e.Value?.ToString() ?? "")
            : new Dictionary<string, string>();

    /// <summary>Every <c>${NAME…}</c> the file substitutes.</summary>
    public IEnumerable<string> Variables => Substitution().Matches(Text).Select(m => m.Groups[1].Value).Distinct();

    /// <summary>Each setting of a service's appsettings.json as configuration sees it (<c>RabbitMq:Host</c>), with its value.</summary>
    public static IEnumerable<(string Key, string Value)> Settings(string appsettingsPath)
    {
        static IEnumerable<(string, string)> Walk(JsonNode? node, string prefix) => node switch
        {
            JsonObject obj => obj.SelectMany(p => Walk(p.Value, prefix.Length == 0 ? p.Key : $"{prefix}:{p.Key}")),
            JsonArray array => array.SelectMany((item, i) => Walk(item, $"{prefix}:{i}")),
            null => [],
            _ => [(prefix, node.ToString())],
        };

        return Walk(JsonNode.Parse(File.ReadAllText(appsettingsPath)), "");
    }

    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Pipeline.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Pipeline.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"\$\{([A-Z_][A-Z0-9_]*)")]
    private static partial Regex Substitution();
}
