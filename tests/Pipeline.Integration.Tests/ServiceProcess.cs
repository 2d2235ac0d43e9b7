using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace Pipeline.Integration.Tests;

/// <summary>One pipeline service run as its own process from its build output, its output kept in a log file.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private ServiceProcess(string name, Process process, string logPath)
    {
        Name = name;
        this.process = process;
        LogPath = logPath;
    }

    public string Name { get; }

    public string LogPath { get; }

    public bool HasExited => process.HasExited;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Starts <c>services/{project}</c>'s built assembly, configured through environment variables.</summary>
    public static ServiceProcess Start(
        string project, string name, IReadOnlyDictionary<string, string> environment, string logFolder, params string[] arguments)
    {
        var assembly = ServiceAssemblyPath(project);
        var start = new ProcessStartInfo("dotnet", [assembly, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        Directory.CreateDirectory(logFolder);
        var logPath = Path.Combine(logFolder, $"{name}.log");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var service = new ServiceProcess(name, process, logPath);
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        void Write(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (service.output)
            {
                service.output.AppendLine(line);
                log.WriteLine(line);
            }
        }

        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Exited += (_, _) => Write($"--- {name} exited with code {process.ExitCode}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Runs <c>services/{project}</c> with a verb (<c>apply-schema</c>) to its end; throws with its output unless it succeeds.</summary>
    public static async Task RunVerbAsync(
        string project, string verb, IReadOnlyDictionary<string, string> environment, string logFolder, TimeSpan bound)
    {
        await using var run = Start(project, $"{project.ToLowerInvariant()}-{verb}", environment, logFolder, verb);
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await run.process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{project} {verb} did not end within {bound}:\n{run.Output}");
        }

        if (run.process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{project} {verb} exited with {run.process.ExitCode}:\n{run.Output}");
        }
    }

    public static string ServiceAssemblyPath(string project) => BuiltAssemblyPath(Path.Combine("services", project), $"Pipeline.{project}.dll");

    /// <summary>A project's build output in the configuration these tests were built in (the test project references it, so it is built).</summary>
    public static string BuiltAssemblyPath(string projectFolder, string assembly)
    {
        var configuration = typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(RepositoryRoot, projectFolder, "bin", configuration, "net10.0", assembly);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{assembly} is not built at {path}; build the solution in {configuration} first.", path);
    }

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>A loopback port nobody listens on now, for a service's HTTP host or a server of a test's own.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Stops the process the way a crash would: no graceful shutdown.</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }

    /// <summary>
    /// Stops the process as a deploy does (SIGTERM, as <c>pipeline down</c>, docker-compose and Kubernetes send) and waits
    /// for it to exit; false when it is still running after <paramref name="grace"/> (then it is killed).
    /// </summary>
    public async Task<bool> StopAsync(TimeSpan grace)
    {
        if (process.HasExited)
        {
            return true;
        }

        Signal("TERM");
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            Kill();
            return false;
        }
    }

    /// <summary>Freezes the process as a hung machine would (SIGSTOP): it holds its connections and files, and says nothing.</summary>
    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    public int ExitCode => process.ExitCode;

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-s", signal, process.Id.ToString()]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            Signal("CONT"); // a paused process cannot even be killed cleanly from its tree
        }

        Kill();
        await Task.CompletedTask;
        process.Dispose();
    }

    private static string FindRepositoryRoot()
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
}
