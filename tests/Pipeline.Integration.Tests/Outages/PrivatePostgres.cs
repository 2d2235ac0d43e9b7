using System.Diagnostics;
using Npgsql;
using Pipeline.Integration.Tests.EndToEnd;

namespace Pipeline.Integration.Tests.Outages;

/// <summary>
/// A PostgreSQL 15 cluster of one test's own (the machine's binaries, a temporary folder, a free loopback port), so the
/// test can stop and start it without touching the server every other test shares.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private const string SystemUser = "postgres";
    private readonly string home = Directory.CreateTempSubdirectory("pipeline-private-pg-").FullName;
    private readonly int port = RunningPipelineFixture.FreePort();

    private string Data => Path.Combine(home, "data");

    public string ConnectionString => $"Host=127.0.0.1;Port={port};Database=postgres;Username=pipeline;Password=pipeline";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var postgres = new PrivatePostgres();
        await Run("chown", SystemUser, postgres.home);
        var password = Path.Combine(postgres.home, "password");
        await File.WriteAllTextAsync(password, "pipeline\n");
        await Run("chown", SystemUser, password);
        await AsPostgres($"{Bin}/initdb", "-D", postgres.Data, "-U", "pipeline", $"--pwfile={password}", "--auth-host=scram-sha-256",
            "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8");
        await postgres.StartAgainAsync();
        return postgres;
    }

    /// <summary>Starts the stopped cluster and waits until it takes connections.</summary>
    public async Task StartAgainAsync()
    {
        await AsPostgres($"{Bin}/pg_ctl", "-D", Data, "-l", Path.Combine(home, "postgres.log"), "-w", "-t", "60",
            "-o", $"-c listen_addresses=127.0.0.1 -p {port} -k {home}", "start");
        await RunningPipelineFixture.WaitUntil("the private PostgreSQL takes connections", async () =>
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString);
                await connection.OpenAsync();
                return true;
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60));
    }

    /// <summary>Stops it the way an operator would (fast shutdown: sessions are ended, nothing is written afterwards).</summary>
    public Task StopAsync() => AsPostgres($"{Bin}/pg_ctl", "-D", Data, "-m", "fast", "-w", "-t", "60", "stop");

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(Data, "postmaster.pid")))
        {
            await AsPostgres($"{Bin}/pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
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
