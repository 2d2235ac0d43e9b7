using System.Diagnostics;
using Npgsql;

namespace Pipeline.Integration.Tests.Outages;

/// <summary>
/// A PostgreSQL 15 cluster of one test's own (the machine's binaries, a temporary folder, a free loopback port), so the
/// test can stop and start it without touching the server every other test shares. Also linked into bench/chaos.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private const string SystemUser = "postgres";
    private readonly string home = Directory.CreateTempSubdirectory("pipeline-private-pg-").FullName;
    private readonly int port = ServiceProcess.FreePort();

    /// <summary>A cluster of this test's own: its password made here, as scripts/infra.sh makes its own.</summary>
    private readonly string password;

    private PrivatePostgres(string password) => this.password = password;

    private string Data => Path.Combine(home, "data");

    public string ConnectionString => $"Host=127.0.0.1;Port={port};Database=postgres;Username=pipeline;Password={password}";

    /// <summary>
    /// The services' connection string for a primary and its standby, as docs/deployment.md gives it: both hosts, and
    /// whichever of them is the primary now. The standby is named first, so a service that took the first host that
    /// answers would write into a read-only standby and fail.
    /// </summary>
    public static string PrimaryOf(PrivatePostgres standby, PrivatePostgres primary) =>
        $"Host=127.0.0.1:{standby.port},127.0.0.1:{primary.port};Target Session Attributes=primary;Database=postgres;Username=pipeline;Password={primary.password}";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var postgres = new PrivatePostgres(Guid.NewGuid().ToString("N"));
        await Run("chown", SystemUser, postgres.home);
        var passwordFile = Path.Combine(postgres.home, "password");
        await File.WriteAllTextAsync(passwordFile, postgres.password + "\n");
        await Run("chown", SystemUser, passwordFile);
        await AsPostgres($"{Bin}/initdb", "-D", postgres.Data, "-U", "pipeline", $"--pwfile={passwordFile}", "--auth-host=scram-sha-256",
            "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8");
        await postgres.StartAgainAsync();
        return postgres;
    }

    /// <summary>
    /// A streaming standby of this cluster (a base backup of it, on a port of its own), made synchronous: from here on a
    /// commit returns only once the standby has it, so a transition the saga committed survives the primary's loss.
    /// </summary>
    public async Task<PrivatePostgres> StartStandbyAsync()
    {
        var standby = new PrivatePostgres(password);
        await Run("chown", SystemUser, standby.home);
        var connection = $"host=127.0.0.1 port={port} user=pipeline password={password} application_name=standby";
        await AsPostgres($"{Bin}/pg_basebackup", "-d", connection, "-D", standby.Data, "-R", "-X", "stream", "--checkpoint=fast");
        // -R wrote how to follow the primary; this names the standby as synchronous_standby_names will.
        await File.AppendAllTextAsync(Path.Combine(standby.Data, "postgresql.auto.conf"), $"primary_conninfo = '{connection}'\n");
        await standby.StartAgainAsync();

        await using var primary = new NpgsqlConnection(ConnectionString);
        await primary.OpenAsync();
        await using (var synchronous = new NpgsqlCommand("alter system set synchronous_standby_names = 'standby'; select pg_reload_conf()", primary))
        {
            await synchronous.ExecuteNonQueryAsync();
        }

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var state = new NpgsqlCommand("select count(*) from pg_stat_replication where application_name = 'standby' and sync_state = 'sync'", primary);
        while ((long)(await state.ExecuteScalarAsync(bound.Token))! == 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), bound.Token);
        }

        return standby;
    }

    /// <summary>Makes this standby the primary (pg_ctl promote waits until it takes writes).</summary>
    public Task PromoteAsync() => AsPostgres($"{Bin}/pg_ctl", "-D", Data, "-w", "-t", "60", "promote");

    /// <summary>Starts the stopped cluster; pg_ctl's -w returns once it takes connections.</summary>
    public async Task StartAgainAsync()
    {
        await AsPostgres($"{Bin}/pg_ctl", "-D", Data, "-l", Path.Combine(home, "postgres.log"), "-w", "-t", "60",
            "-o", $"-c listen_addresses=127.0.0.1 -p {port} -k {home}", "start");
    }

    /// <summary>Ends the postmaster with SIGKILL, as a crash would; <see cref="StartAgainAsync"/> recovers it.</summary>
    public async Task KillAsync()
    {
        var pid = int.Parse((await File.ReadAllLinesAsync(Path.Combine(Data, "postmaster.pid")))[0]);
        using (var postmaster = Process.GetProcessById(pid))
        {
            postmaster.Kill();
            await postmaster.WaitForExitAsync();
        }

        // Its backends notice and exit on their own; a new postmaster refuses to start while they hold the shared
        // memory. Every PostgreSQL process works in the data folder, so none left there means the cluster is down.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (var left = ProcessesIn(Data); left.Count > 0; left = ProcessesIn(Data))
        {
            foreach (var backend in left)
            {
                await backend.WaitForExitAsync(bound.Token);
                backend.Dispose();
            }
        }
    }

    private static List<Process> ProcessesIn(string folder)
    {
        var found = new List<Process>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid))
            {
                continue;
            }

            try
            {
                if (new DirectoryInfo(Path.Combine(entry, "cwd")).ResolveLinkTarget(returnFinalTarget: false)?.FullName is { } cwd
                    && Path.TrimEndingDirectorySeparator(cwd) == Path.TrimEndingDirectorySeparator(folder))
                {
                    found.Add(Process.GetProcessById(pid));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                // Gone meanwhile.
            }
        }

        return found;
    }

    /// <summary>Stops it the way an operator would (fast shutdown: sessions are ended, nothing is written afterwards).</summary>
    public Task StopAsync() => AsPostgres($"{Bin}/pg_ctl", "-D", Data, "-m", "fast", "-w", "-t", "60", "stop");

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(Data, "postmaster.pid")))
        {
            try
            {
                await AsPostgres($"{Bin}/pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
                // Not running (killed and never started again): nothing to stop.
            }
        }

        Directory.Delete(home, recursive: true);
    }


    private static Task AsPostgres(params string[] command) => Run("runuser", ["-u", SystemUser, "--", .. command]);

    private static async Task Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}
