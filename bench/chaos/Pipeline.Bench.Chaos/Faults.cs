using System.Diagnostics;
using Pipeline.Integration.Tests;
using Pipeline.Integration.Tests.Outages;

namespace Pipeline.Bench.Chaos;

/// <summary>One injected fault: what it did, when it ended, how long until the next transition showed work going on.</summary>
public sealed record FaultRecord(string Name, DateTime Started, DateTime Ended)
{
    public TimeSpan Length => Ended - Started;
    public TimeSpan? Recovery { get; set; }
}

/// <summary>The services as processes, each to be killed and started again by name.</summary>
public sealed class ServiceSet(Dictionary<string, string> environment, string logs) : IAsyncDisposable
{
    private static readonly Dictionary<string, string> Projects = new() { ["orchestrator"] = "Orchestrator", ["downloader"] = "Downloader", ["uploader"] = "Uploader" };
    private readonly Dictionary<string, ServiceProcess> running = [];
    private readonly List<ServiceProcess> all = [];
    private int generation;

    public IEnumerable<string> Names => Projects.Keys;

    public void Start(string name)
    {
        var process = ServiceProcess.Start(Projects[name], $"{name}-{++generation}", environment, logs);
        running[name] = process;
        all.Add(process);
    }

    public void Kill(string name) => running[name].Kill();

    public async ValueTask DisposeAsync()
    {
        foreach (var process in all)
        {
            await process.DisposeAsync();
        }
    }
}

/// <summary>The faults of one run, in an order the seed decides.</summary>
public sealed class FaultSchedule(ServiceSet services, PrivatePostgres postgres, ChaosOptions options)
{
    private static readonly TimeSpan Restart = TimeSpan.FromSeconds(2);

    public IReadOnlyList<(string Name, Func<Task> Inject)> Faults()
    {
        var faults = new List<(string, Func<Task>)>();
        foreach (var name in services.Names)
        {
            faults.Add(($"SIGKILL {name}, started again after {Restart.TotalSeconds:0} s", () => KillAndRestart(name, Restart)));
        }

        var orchestratorDown = options.StageTimeout + TimeSpan.FromSeconds(10);
        faults.Add(($"orchestrator down {orchestratorDown.TotalSeconds:0} s (past the stage timeout)", () => KillAndRestart("orchestrator", orchestratorDown)));
        faults.Add(($"PostgreSQL stopped {options.PostgresOutage.TotalSeconds:0} s", async () =>
        {
            await postgres.StopAsync();
            await Task.Delay(options.PostgresOutage);
            await postgres.StartAgainAsync();
        }));
        faults.Add(("SIGKILL the PostgreSQL postmaster, started again", async () =>
        {
            await postgres.KillAsync();
            await Task.Delay(Restart);
            await postgres.StartAgainAsync();
        }));
        if (options.KillBroker)
        {
            faults.Add(($"SIGKILL the RabbitMQ node, down {options.BrokerOutage.TotalSeconds:0} s, started again by scripts/infra.sh up",
                () => KillBroker(options.BrokerOutage)));
        }

        var random = new Random(options.Seed);
        return [.. faults.OrderBy(_ => random.Next())];
    }

    // The node this checkout's scripts/infra.sh started; a broker reused from elsewhere is not this bench's to kill.
    private static async Task KillBroker(TimeSpan down)
    {
        var pidFile = Path.Combine(ServiceProcess.RepositoryRoot, ".infra", "rabbitmq", "rabbitmq.pid");
        if (!File.Exists(pidFile))
        {
            Console.WriteLine($"    skipped: no {pidFile} (the broker was not started by this checkout's scripts/infra.sh)");
            return;
        }

        using (var node = Process.GetProcessById(int.Parse((await File.ReadAllTextAsync(pidFile)).Trim())))
        {
            node.Kill();
            await node.WaitForExitAsync();
        }

        await Task.Delay(down);
        using var up = Process.Start(new ProcessStartInfo("bash", [Path.Combine(ServiceProcess.RepositoryRoot, "scripts", "infra.sh"), "up"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        var output = up.StandardError.ReadToEndAsync();
        await up.StandardOutput.ReadToEndAsync();
        await up.WaitForExitAsync();
        if (up.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/infra.sh up failed after the broker was killed: {await output}");
        }
    }

    private async Task KillAndRestart(string name, TimeSpan down)
    {
        services.Kill(name);
        await Task.Delay(down);
        services.Start(name);
    }
}
