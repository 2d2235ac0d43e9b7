using Pipeline.Cli.Runner;
using Pipeline.Messaging;

namespace Pipeline.Cli;

/// <summary>
/// Where the servers are and the accounts to use, read from the environment as <c>scripts/infra.sh env</c> prints it
/// (PIPELINE_API, PIPELINE_RABBITMQ_*, PIPELINE_POSTGRES, PIPELINE_&lt;SERVICE&gt;_*). What the environment leaves out
/// of the servers' settings comes from <paramref name="servers"/>: for the process, the checkout's own
/// <c>scripts/infra.sh env</c>, so no password is ever typed and none is a default.
/// </summary>
public sealed class CliEnvironment(Func<string, string?> variable, string workingDirectory, Func<string, string?>? servers = null)
{
    public const string DefaultApi = "http://127.0.0.1:5080";

    public static CliEnvironment FromProcess()
    {
        CliEnvironment? environment = null;
        var script = new Lazy<InfraSettings>(() => new InfraSettings(environment!.RepositoryRoot), LazyThreadSafetyMode.PublicationOnly);
        environment = new CliEnvironment(Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory(), name => script.Value[name]);
        return environment;
    }

    public string WorkingDirectory { get; } = workingDirectory;

    public string? this[string name] => variable(name) is { Length: > 0 } value ? value
        : IsServerSetting(name) && servers?.Invoke(name) is { Length: > 0 } printed ? printed : null;

    /// <summary>What scripts/infra.sh prints: the servers' addresses and accounts, never the status API's settings.</summary>
    private static bool IsServerSetting(string name) => name.Contains("RABBITMQ", StringComparison.Ordinal) || name.Contains("POSTGRES", StringComparison.Ordinal);

    public Uri ApiUrl(string? option)
    {
        var text = option ?? this["PIPELINE_API"] ?? DefaultApi;
        if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"--api '{text}' is not an http(s) URL.", ExitCodes.Usage);
        }

        return uri;
    }

    /// <summary>
    /// The bearer token for the status API at <paramref name="api"/>: PIPELINE_API_TOKEN, else, for a status API on this
    /// machine only, the operator's token the local runner generated (never sent to another machine's API).
    /// </summary>
    public string? ApiToken(Uri api)
    {
        if (this["PIPELINE_API_TOKEN"] is { } token)
        {
            return token;
        }

        if (!api.IsLoopback)
        {
            return null;
        }

        try
        {
            return new LocalApiTokens(RepositoryRoot).ReadOperator();
        }
        catch (CliException)
        {
            return null;
        }
    }

    /// <summary>
    /// Where the services read a folder of this machine's datasets when they see it at another path (docker-compose
    /// mounts DATASETS_FOLDER at file:///datasets): PIPELINE_DATASETS_FOLDER and PIPELINE_DATASETS_URI, or null.
    /// </summary>
    public DatasetsMount? DatasetsMount =>
        this["PIPELINE_DATASETS_FOLDER"] is { } folder && this["PIPELINE_DATASETS_URI"] is { } uri
            ? new DatasetsMount(Path.GetFullPath(folder, WorkingDirectory),
                Uri.TryCreate(uri.EndsWith('/') ? uri : uri + "/", UriKind.Absolute, out var mounted) && mounted.IsFile ? mounted
                    : throw new CliException($"PIPELINE_DATASETS_URI '{uri}' is not a file:// URI.", ExitCodes.Usage))
            : null;

    public RabbitMqSettings RabbitMq => new()
    {
        Host = this["PIPELINE_RABBITMQ_HOST"] ?? "127.0.0.1",
        Port = ushort.TryParse(this["PIPELINE_RABBITMQ_PORT"], out var port) ? port : (ushort)5672,
        VirtualHost = this["PIPELINE_RABBITMQ_VHOST"] ?? "/",
        Username = this["PIPELINE_RABBITMQ_USER"] ?? "",
        Password = this["PIPELINE_RABBITMQ_PASSWORD"] ?? "",
        ManagementUrl = this["PIPELINE_RABBITMQ_MANAGEMENT_URL"] ?? "http://127.0.0.1:15672",
    };

    public string PostgresConnectionString =>
        this["PIPELINE_POSTGRES"] ?? "Host=127.0.0.1;Port=5432;Database=pipeline";

    /// <summary>Host and port of the PostgreSQL server, to tell the user whether it answers.</summary>
    public (string Host, int Port) PostgresEndpoint
    {
        get
        {
            var parts = PostgresConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Select(part => part.Split('=', 2))
                .Where(pair => pair.Length == 2)
                .ToDictionary(pair => pair[0].Trim(), pair => pair[1].Trim(), StringComparer.OrdinalIgnoreCase);
            var host = parts.GetValueOrDefault("Host") ?? parts.GetValueOrDefault("Server") ?? "127.0.0.1";
            return (host, int.TryParse(parts.GetValueOrDefault("Port"), out var port) ? port : 5432);
        }
    }

    /// <summary>The checkout the local runner works in: PIPELINE_REPO, else the first folder upwards holding scripts/infra.sh.</summary>
    public string RepositoryRoot
    {
        get
        {
            if (variable("PIPELINE_REPO") is { Length: > 0 } configured)
            {
                return Path.GetFullPath(configured);
            }

            foreach (var start in new[] { WorkingDirectory, AppContext.BaseDirectory })
            {
                for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
                {
                    if (File.Exists(Path.Combine(folder.FullName, "scripts", "infra.sh")))
                    {
                        return folder.FullName;
                    }
                }
            }

            throw new CliException(
                "cannot find the pipeline checkout (a folder with scripts/infra.sh) above the current folder; run from inside it or set PIPELINE_REPO.",
                ExitCodes.Usage);
        }
    }
}

/// <summary>A folder of this machine (<paramref name="Folder"/>) that the services read at <paramref name="Uri"/>.</summary>
public sealed record DatasetsMount(string Folder, Uri Uri)
{
    /// <summary>The URI the services read <paramref name="path"/> at; null when the path is outside the folder.</summary>
    public string? UriOf(string path)
    {
        var relative = Path.GetRelativePath(Folder, path);
        if (relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return null;
        }

        return relative == "." ? Uri.AbsoluteUri
            : new Uri(Uri, string.Join('/', relative.Split(Path.DirectorySeparatorChar).Select(System.Uri.EscapeDataString))).AbsoluteUri;
    }
}
