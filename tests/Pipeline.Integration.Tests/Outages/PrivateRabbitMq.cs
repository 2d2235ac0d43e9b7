using System.Diagnostics;
using System.Security.Cryptography;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Pipeline.Integration.Tests.Outages;

/// <summary>
/// A RabbitMQ node of one test's own (Debian's rabbitmq-server, a temporary folder, free loopback ports, a user with a
/// password made for it), so the test can SIGKILL and start the broker without touching the one every other test
/// shares. Its data survives a kill: what the broker confirmed before is there when it starts again. Also linked into
/// the command line's tests.
/// </summary>
public sealed class PrivateRabbitMq : IAsyncDisposable
{
    private const string Server = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(120);
    private readonly string home = Directory.CreateTempSubdirectory("pipeline-private-rabbitmq-").FullName;
    private readonly int distributionPort = ServiceProcess.FreePort();
    private Process? launcher;

    private PrivateRabbitMq()
    {
    }

    public int Port { get; } = ServiceProcess.FreePort();

    public string Username => "pipeline-test";

    public string Password { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    private string NodeName => $"pipeline-test-{Port}@localhost";

    private string PidFile => Path.Combine(home, "rabbitmq.pid");

    public ConnectionFactory ConnectionFactory(string purpose) => new()
    {
        HostName = "127.0.0.1", Port = Port, UserName = Username, Password = Password, ClientProvidedName = purpose,
    };

    public static async Task<PrivateRabbitMq> StartAsync()
    {
        var broker = new PrivateRabbitMq();
        Directory.CreateDirectory(Path.Combine(broker.home, "log"));
        // RabbitMQ 3.10's server and command line tools read the Erlang cookie from $HOME.
        var cookie = Path.Combine(broker.home, ".erlang.cookie");
        await File.WriteAllTextAsync(cookie, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(cookie, UnixFileMode.UserRead);
        }

        await File.WriteAllTextAsync(Path.Combine(broker.home, "enabled_plugins"), "[].");
        await File.WriteAllTextAsync(Path.Combine(broker.home, "rabbitmq.conf"), $"""
            listeners.tcp.default = 127.0.0.1:{broker.Port}
            default_user = {broker.Username}
            default_pass = {broker.Password}
            """);
        await broker.StartAgainAsync();
        return broker;
    }

    /// <summary>Starts the node on its data (first start, or after <see cref="KillAsync"/>) and returns once it takes connections.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(Server) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["RABBITMQ_NODENAME"] = NodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = Port.ToString(),
            ["RABBITMQ_DIST_PORT"] = distributionPort.ToString(),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(home, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(home, "log"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(home, "rabbitmq.conf"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(home, "enabled_plugins"),
            ["RABBITMQ_PID_FILE"] = PidFile,
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(home, "rabbitmq-env.conf"),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["ERL_CRASH_DUMP"] = Path.Combine(home, "log", "erl_crash.dump"),
            // Erlang distribution listens on loopback only, as scripts/infra.sh's node does.
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        })
        {
            start.Environment[name] = value;
        }

        File.WriteAllText(Path.Combine(home, "rabbitmq-env.conf"), "");
        launcher = Process.Start(start)!;
        // Drained so the node never blocks on a full pipe; its own log folder keeps what it says.
        _ = launcher.StandardOutput.ReadToEndAsync();
        _ = launcher.StandardError.ReadToEndAsync();

        using var bound = new CancellationTokenSource(StartBound);
        while (true)
        {
            if (launcher.HasExited)
            {
                throw new InvalidOperationException($"RabbitMQ node {NodeName} exited while starting (code {launcher.ExitCode}); see {home}/log.");
            }

            try
            {
                await using var connection = await ConnectionFactory("start probe").CreateConnectionAsync(bound.Token);
                return;
            }
            catch (BrokerUnreachableException) when (!bound.IsCancellationRequested)
            {
                await Task.Delay(200, bound.Token);
            }
        }
    }

    /// <summary>Freezes the node (SIGSTOP), as a hung machine would: its connections stay open and nothing answers on them.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>Lets a paused node go on (SIGCONT).</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, (await File.ReadAllTextAsync(PidFile)).Trim()]);
        await kill.WaitForExitAsync();
    }

    /// <summary>Ends the node with SIGKILL, as a crash or an OOM kill would, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        using (var node = Process.GetProcessById(int.Parse((await File.ReadAllTextAsync(PidFile)).Trim())))
        {
            node.Kill();
            await node.WaitForExitAsync();
        }

        if (launcher is not null)
        {
            await launcher.WaitForExitAsync();
            launcher.Dispose();
            launcher = null;
        }

        File.Delete(PidFile);
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(PidFile))
        {
            await KillAsync();
        }

        Directory.Delete(home, recursive: true);
    }
}
