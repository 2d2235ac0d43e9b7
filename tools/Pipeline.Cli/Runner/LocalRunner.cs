using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Pipeline.Cli.StatusApi;
using Pipeline.Contracts;
using Spectre.Console;

namespace Pipeline.Cli.Runner;

/// <summary>A service process the runner started; its pid file under .infra/services lets another invocation find it.</summary>
public sealed record ServiceInstance(PipelineService Service, int Replica, int ProcessId, string PidFile, string LogFile)
{
    public string Name => $"{Service.Name}-{Replica}";

    /// <summary>Alive, and still the process the runner started (a pid can be reused after it exits).</summary>
    public bool IsRunning => LocalRunner.IsAlive(ProcessId, Service.AssemblyName);
}

/// <summary>
/// Runs the pipeline on this machine without Docker: every service as its own process (<c>dotnet Pipeline.X.dll</c>,
/// built in Release, all in one build, when an output is missing or older than its sources), with the settings of the servers
/// <c>scripts/infra.sh</c> started, logs in .logs/ and pid files in .infra/services/.
/// </summary>
public sealed partial class LocalRunner(string root, CliEnvironment environment, IAnsiConsole console)
{
    public string PidFolder => Path.Combine(root, ".infra", "services");
    public string LogFolder => Path.Combine(root, ".logs");
    public string ArtifactRoot => Path.Combine(root, ".artifacts", "store");
    public InfraScript Infra { get; } = new(root, console);

    /// <summary>Starts what is not running yet: the servers, then <paramref name="replicas"/> copies of each service. Returns what it started.</summary>
    public async Task<IReadOnlyList<ServiceInstance>> UpAsync(IReadOnlyDictionary<string, int> replicas, CancellationToken cancellationToken)
    {
        var missing = PipelineService.All.Where(service => !service.Exists(root)).ToList();
        if (missing.Count > 0)
        {
            var names = string.Join(", ", missing.Select(service => $"{service.Name} (services/{service.Folder})"));
            throw new CliException($"the pipeline needs all five services, and these projects are missing from this checkout: {names}.");
        }

        await Infra.EnsureUpAsync(environment, cancellationToken);
        var services = PipelineService.All.Where(service => replicas.GetValueOrDefault(service.Name, 1) > 0).ToList();
        await BuildAsync(services, cancellationToken);

        var variables = await ServiceEnvironmentAsync(cancellationToken);
        var running = List().Where(instance => instance.IsRunning).ToList();
        await ApplySchemasAsync(services.Where(service => variables[service].ContainsKey(PostgresSetting)), cancellationToken);
        var started = new List<ServiceInstance>();
        Directory.CreateDirectory(PidFolder);
        Directory.CreateDirectory(LogFolder);
        foreach (var service in services)
        {
            for (var replica = 1; replica <= replicas.GetValueOrDefault(service.Name, 1); replica++)
            {
                if (running.Any(instance => instance.Service == service && instance.Replica == replica))
                {
                    continue;
                }

                var instance = await StartAsync(service, replica, variables[service], cancellationToken);
                console.MarkupLineInterpolated($"started [bold]{instance.Name}[/] (pid {instance.ProcessId}), log {Path.GetRelativePath(root, instance.LogFile)}");
                started.Add(instance);
            }
        }

        await WaitUntilHealthyAsync(started, cancellationToken);
        return started;
    }

    /// <summary>The instances recorded in .infra/services, running or not.</summary>
    public IReadOnlyList<ServiceInstance> List()
    {
        if (!Directory.Exists(PidFolder))
        {
            return [];
        }

        var instances = new List<ServiceInstance>();
        foreach (var file in Directory.GetFiles(PidFolder, "*.pid").Order())
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var dash = name.LastIndexOf('-');
            if (dash > 0 && PipelineService.Find(name[..dash]) is { } service && int.TryParse(name[(dash + 1)..], out var replica)
                && int.TryParse(File.ReadAllText(file).Trim(), out var pid))
            {
                instances.Add(new ServiceInstance(service, replica, pid, file, LogFile(service, replica)));
            }
        }

        return instances;
    }

    /// <summary>
    /// Longer than a service's Shutdown:Timeout (45 s by default), in which a stopping worker finishes or hands back its
    /// command (the Trainer checkpoints first): killed sooner, a deploy would count as a crash.
    /// </summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(60);

    /// <summary>Stops the given instances (all recorded ones when null): SIGTERM, then SIGKILL after <see cref="StopGrace"/>.</summary>
    public async Task StopAsync(IEnumerable<ServiceInstance>? instances, CancellationToken cancellationToken)
    {
        // The Orchestrator last: the workers' last results still reach a saga that listens.
        foreach (var instance in (instances ?? List()).OrderBy(instance => instance.Service.Name == "orchestrator"))
        {
            if (instance.IsRunning)
            {
                _ = Kill(instance.ProcessId, SIGTERM);
                var deadline = DateTime.UtcNow + StopGrace;
                while (instance.IsRunning && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(200, cancellationToken);
                }

                if (instance.IsRunning)
                {
                    _ = Kill(instance.ProcessId, SIGKILL);
                }

                console.MarkupLineInterpolated($"stopped [bold]{instance.Name}[/] (pid {instance.ProcessId})");
            }

            File.Delete(instance.PidFile);
        }
    }

    /// <summary>
    /// One <c>dotnet build</c> of every stale service, through a solution filter of Pipeline.sln naming them: MSBuild
    /// restores the graph once, builds each shared library once and the services side by side. A build per service
    /// repeated the restore and every library's up-to-date check, and was most of a fresh clone's first demo.
    /// </summary>
    private async Task BuildAsync(IReadOnlyList<PipelineService> services, CancellationToken cancellationToken)
    {
        var stale = services.Where(IsStale).ToList();
        if (stale.Count == 0)
        {
            return;
        }

        var filter = WriteSolutionFilter(root, stale);
        console.MarkupLineInterpolated(
            $"building {string.Join(", ", stale.Select(service => service.Name))} (dotnet build -c Release {Path.GetRelativePath(root, filter)})");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var argument in new[] { "build", "-c", "Release", "-nologo", "-v", "q", filter })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new CliException("cannot start dotnet");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new CliException($"building {string.Join(", ", stale.Select(service => service.Name))} failed:\n{InfraScript.Tail(await output + await errors, 20)}");
        }
    }

    /// <summary>
    /// .infra/build/services.slnf: Pipeline.sln filtered to the given services (their libraries come with them as
    /// project references). Written from <see cref="PipelineService.All"/>, so the list of services stays in one place.
    /// </summary>
    internal static string WriteSolutionFilter(string root, IEnumerable<PipelineService> services)
    {
        var folder = Path.Combine(root, ".infra", "build");
        Directory.CreateDirectory(folder);
        var filter = Path.Combine(folder, "services.slnf");
        var solution = Path.Combine(root, "Pipeline.sln");
        File.WriteAllText(filter, JsonSerializer.Serialize(new
        {
            solution = new
            {
                path = Path.GetRelativePath(folder, solution),
                projects = services.Select(service => Path.GetRelativePath(root, service.ProjectFile(root))).ToArray(),
            },
        }, new JsonSerializerOptions { WriteIndented = true }));
        return filter;
    }

    /// <summary>Missing, or older than a source file of the service, the shared libraries or the contracts.</summary>
    private bool IsStale(PipelineService service)
    {
        var output = new FileInfo(service.OutputAssembly(root));
        if (!output.Exists)
        {
            return true;
        }

        string[] sources = [service.ProjectFolder(root), Path.Combine(root, "libs"), Path.Combine(root, "contracts")];
        return sources.Where(Directory.Exists).SelectMany(SourceFiles).Any(file => File.GetLastWriteTimeUtc(file) > output.LastWriteTimeUtc);
    }

    private static IEnumerable<string> SourceFiles(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            if (Path.GetExtension(file) is ".cs" or ".csproj" or ".json" or ".props" or ".targets")
            {
                yield return file;
            }
        }

        foreach (var child in Directory.EnumerateDirectories(folder))
        {
            if (Path.GetFileName(child) is not ("bin" or "obj" or ".git"))
            {
                foreach (var file in SourceFiles(child))
                {
                    yield return file;
                }
            }
        }
    }

    private const string PostgresSetting = "ConnectionStrings__Postgres";

    /// <summary>
    /// scripts/infra.sh's settings in the names the services read (their appsettings sections), per service: each logs
    /// in with its own account (PIPELINE_&lt;SERVICE&gt;_RABBITMQ_USER/_PASSWORD, PIPELINE_&lt;SERVICE&gt;_POSTGRES), and a
    /// service the script gives no database login gets no connection string.
    /// </summary>
    public async Task<IReadOnlyDictionary<PipelineService, IReadOnlyDictionary<string, string>>> ServiceEnvironmentAsync(CancellationToken cancellationToken)
    {
        var infra = await Infra.ReadEnvironmentAsync(cancellationToken);
        string? Get(string name) => environment[name] ?? infra.GetValueOrDefault(name);
        var rabbit = environment.RabbitMq;
        var shared = new Dictionary<string, string>
        {
            ["RabbitMq__Host"] = Get("PIPELINE_RABBITMQ_HOST") ?? rabbit.Host,
            ["RabbitMq__Port"] = Get("PIPELINE_RABBITMQ_PORT") ?? rabbit.Port.ToString(),
            ["RabbitMq__ManagementUrl"] = Get("PIPELINE_RABBITMQ_MANAGEMENT_URL") ?? rabbit.ManagementUrl,
            ["Artifacts__Root"] = ArtifactRoot,
            ["Logs__Folder"] = LogFolder,
        };

        // The Downloader reads file:// datasets only under named folders: here, where this command runs and the
        // checkout (the demo's dataset), unless the user named their own.
        if (Environment.GetEnvironmentVariable("Downloader__AllowedRoots__0") is null)
        {
            var roots = new[] { Environment.CurrentDirectory, root }.Select(Path.GetFullPath).Distinct().ToList();
            for (var i = 0; i < roots.Count; i++)
            {
                shared[$"Downloader__AllowedRoots__{i}"] = roots[i];
            }
        }

        var services = new Dictionary<PipelineService, IReadOnlyDictionary<string, string>>();
        foreach (var service in PipelineService.All)
        {
            var prefix = $"PIPELINE_{service.Name.ToUpperInvariant()}_";
            var variables = new Dictionary<string, string>(shared)
            {
                ["RabbitMq__Username"] = Get(prefix + "RABBITMQ_USER")
                    ?? throw new CliException($"no RabbitMQ account for {service.Name}: {prefix}RABBITMQ_USER is not in 'scripts/infra.sh env'; run 'scripts/infra.sh up'."),
                ["RabbitMq__Password"] = Get(prefix + "RABBITMQ_PASSWORD")
                    ?? throw new CliException($"no RabbitMQ password for {service.Name}: {prefix}RABBITMQ_PASSWORD is not in 'scripts/infra.sh env'; run 'scripts/infra.sh up'."),
            };
            if (Get(prefix + "POSTGRES") is { } postgres)
            {
                variables[PostgresSetting] = postgres;
            }

            services[service] = variables;
        }

        return services;
    }

    /// <summary>
    /// The schema's owner (PIPELINE_POSTGRES) creates or updates the tables of each service that uses the database and
    /// renews the grants (<c>dotnet Pipeline.X.dll apply-schema</c>), before the services start with roles that may not.
    /// </summary>
    private async Task ApplySchemasAsync(IEnumerable<PipelineService> services, CancellationToken cancellationToken)
    {
        var owner = environment["PIPELINE_POSTGRES"]
            ?? throw new CliException("PIPELINE_POSTGRES (the schema owner's connection) is not in 'scripts/infra.sh env'; run 'scripts/infra.sh up'.");
        foreach (var service in services)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = service.OutputFolder(root), RedirectStandardOutput = true, RedirectStandardError = true,
            };
            start.ArgumentList.Add(service.OutputAssembly(root));
            start.ArgumentList.Add(ServiceVerbs.ApplySchema);
            start.Environment[PostgresSetting] = owner;
            using var process = Process.Start(start) ?? throw new CliException($"cannot start {service.Name} to apply its schema");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new CliException($"applying {service.Name}'s schema failed:\n{InfraScript.Tail(await output + await errors, 20)}");
            }
        }
    }

    private async Task<ServiceInstance> StartAsync(
        PipelineService service, int replica, IReadOnlyDictionary<string, string> variables, CancellationToken cancellationToken)
    {
        var pidFile = Path.Combine(PidFolder, $"{service.Name}-{replica}.pid");
        var logFile = LogFile(service, replica);
        File.Delete(pidFile);

        // setsid: the service outlives this command and the terminal's Ctrl-C; the shell records its pid, then becomes dotnet.
        var start = new ProcessStartInfo("setsid") { WorkingDirectory = service.OutputFolder(root), UseShellExecute = false };
        foreach (var argument in new[] { "sh", "-c", "echo $$ > \"$PIPELINE_PID_FILE\"; exec dotnet \"$PIPELINE_DLL\" >> \"$PIPELINE_LOG\" 2>&1 < /dev/null" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in variables)
        {
            start.Environment[name] = value;
        }

        start.Environment["PIPELINE_PID_FILE"] = pidFile;
        start.Environment["PIPELINE_DLL"] = service.OutputAssembly(root);
        start.Environment["PIPELINE_LOG"] = logFile;
        if (service.Name == "orchestrator")
        {
            start.Environment["Urls"] = environment.ApiUrl(null).GetLeftPart(UriPartial.Authority);
            // The status API serves no one without a token: the checkout's own, which the command line reads back.
            var (operatorToken, viewerToken) = new LocalApiTokens(root).Ensure();
            start.Environment[ConfigurationVariable(StatusApiSettings.OperatorTokens) + "__0"] = environment["PIPELINE_API_TOKEN"] ?? operatorToken;
            start.Environment[ConfigurationVariable(StatusApiSettings.ViewerTokens) + "__0"] = viewerToken;
        }

        using (Process.Start(start) ?? throw new CliException($"cannot start {service.Name}"))
        {
        }

        for (var waited = 0; waited < 100 && !File.Exists(pidFile); waited++)
        {
            await Task.Delay(50, cancellationToken);
        }

        return int.TryParse(File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : "", out var pid)
            ? new ServiceInstance(service, replica, pid, pidFile, logFile)
            : throw new CliException($"{service.Name} did not start; see {logFile}");
    }

    private async Task WaitUntilHealthyAsync(IReadOnlyList<ServiceInstance> started, CancellationToken cancellationToken)
    {
        if (started.Count == 0)
        {
            return;
        }

        using var api = new StatusApiClient(environment.ApiUrl(null), environment);
        var orchestrator = started.Any(instance => instance.Service.Name == "orchestrator");
        var deadline = DateTime.UtcNow.AddSeconds(90);
        await Task.Delay(1000, cancellationToken);
        while (true)
        {
            if (started.FirstOrDefault(instance => !instance.IsRunning) is { } dead)
            {
                var log = File.Exists(dead.LogFile) ? InfraScript.Tail(await File.ReadAllTextAsync(dead.LogFile, cancellationToken), 15) : "";
                throw new CliException($"{dead.Name} exited at start; the end of {dead.LogFile}:\n{log}");
            }

            if (!orchestrator || await api.IsReadyAsync(cancellationToken))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new CliException($"the Orchestrator is not ready after 90 s ({api.BaseAddress}health/ready); see .logs/.", ExitCodes.ServerUnavailable);
            }

            await Task.Delay(500, cancellationToken);
        }
    }

    /// <summary>A setting's name as an environment variable (<c>StatusApi:OperatorTokens</c> → <c>StatusApi__OperatorTokens</c>).</summary>
    private static string ConfigurationVariable(string setting) => setting.Replace(":", "__", StringComparison.Ordinal);

    private string LogFile(PipelineService service, int replica) => Path.Combine(LogFolder, $"{service.Name}-{replica}.out.log");

    internal static bool IsAlive(int pid, string assemblyName)
    {
        try
        {
            // /proc/<pid>/cmdline: NUL-separated arguments; a reused pid runs something else.
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains(assemblyName + ".dll", StringComparison.Ordinal)
                && !File.ReadAllText($"/proc/{pid}/stat").Split(' ').Skip(2).First().Equals("Z", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private const int SIGTERM = 15, SIGKILL = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
