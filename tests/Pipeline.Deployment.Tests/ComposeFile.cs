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
        return Parse(File.ReadAllText(Path.Combine(root, file)), root);
    }

    /// <summary>A compose file given as text, so the checks can be tried on small examples.</summary>
    public static ComposeFile Parse(string text, string root = "")
    {
        using var reader = new StringReader(text);
        var document = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(new MergingParser(new Parser(reader)));
        return new ComposeFile(root, text, document);
    }

    public string Dockerfile(string service) => (string)Build(service)["dockerfile"];

    /// <summary>The build arguments compose gives a service's image, anchors resolved.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs(string service) =>
        ((Dictionary<object, object>)Build(service)["args"]).ToDictionary(a => (string)a.Key, a => (string)a.Value);

    private Dictionary<object, object> Build(string service) => (Dictionary<object, object>)Services[service]["build"];

    public IReadOnlyDictionary<string, string> Environment(string service) =>
        RawEnvironment(service).ToDictionary(e => e.Key, e => e.Value ?? "");

    /// <summary>
    /// Every environment entry of every service that writes a credential into the file instead of substituting it
    /// from .env, as "service: KEY": a key naming a password (*PASSWORD*, *_PASS, *_PASSWD, any case) whose value is
    /// not one whole <c>${VAR}</c> (or <c>${VAR:?message}</c>; a <c>:-default</c> would be a password in the file),
    /// and a <c>Password=</c>/<c>Pwd=</c> or <c>user:password@</c> inside any value that is not one.
    /// </summary>
    public IEnumerable<string> LiteralCredentials() =>
        Services.Keys.SelectMany(service => RawEnvironment(service)
            .Where(e => e.Value is not null && IsLiteralCredential(e.Key, e.Value))
            .Select(e => $"{service}: {e.Key}"));

    private static bool IsLiteralCredential(string key, string value) =>
        (CredentialKey().IsMatch(key) && !WholeSubstitution().IsMatch(value))
        || CredentialInValue().Matches(value).Any(m => !WholeSubstitution().IsMatch(m.Groups["secret"].Value));

    /// <summary>The environment as written, map or list; a value is null where compose passes the host's variable through.</summary>
    private IEnumerable<(string Key, string? Value)> RawEnvironment(string service) =>
        Services[service].GetValueOrDefault("environment") switch
        {
            Dictionary<object, object> map => map.Select(e => ((string)e.Key, e.Value?.ToString())),
            List<object> list => list.Select(item => ((string)item).Split('=', 2))
                .Select(parts => (parts[0], parts.Length == 2 ? parts[1] : null)),
            _ => [],
        };

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

    // $${NAME} is compose's escape for a literal ${NAME} (the container's shell reads it), not a substitution.
    [GeneratedRegex(@"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)")]
    private static partial Regex Substitution();

    [GeneratedRegex(@"(^|_)PASS(WD)?$|PASSWORD", RegexOptions.IgnoreCase)]
    private static partial Regex CredentialKey();

    [GeneratedRegex(@"^\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*)?\}$")]
    private static partial Regex WholeSubstitution();

    [GeneratedRegex(@"(?:^|;)\s*(?:password|pwd)\s*=(?<secret>[^;]*)|://[^/:@\s]*:(?<secret>[^@/\s]*)@", RegexOptions.IgnoreCase)]
    private static partial Regex CredentialInValue();
}
