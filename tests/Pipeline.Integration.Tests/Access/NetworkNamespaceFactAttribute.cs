using System.Diagnostics;

namespace Pipeline.Integration.Tests.Access;

/// <summary>
/// A fact that needs <c>ip netns</c> (root, CAP_SYS_ADMIN): skipped with the reason where a network namespace cannot be
/// made, so it is reported rather than passing without asserting. CI runs as root, where it runs.
/// </summary>
public sealed class NetworkNamespaceFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Refusal = new(Probe);

    public NetworkNamespaceFactAttribute()
    {
        if (Refusal.Value is { } reason)
        {
            Skip = $"Needs a network namespace of its own ('ip netns add' as root): {reason}";
        }
    }

    /// <summary>Why no namespace can be made here; null when one was made (and removed again).</summary>
    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return $"running as {Environment.UserName} on {Environment.OSVersion}, not root on Linux";
        }

        var name = $"pl-probe-{Environment.ProcessId}";
        var (added, output) = Ip("netns", "add", name);
        if (added != 0)
        {
            return output.Trim();
        }

        Ip("netns", "del", name);
        return null;
    }

    private static (int ExitCode, string Output) Ip(params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("ip", args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"cannot run ip: {e.Message}");
        }
    }
}
