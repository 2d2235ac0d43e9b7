using System.ComponentModel;
using System.Diagnostics;

/// <summary>
/// The PyTorch side needs <c>torch</c> and <c>numpy</c> for its Python. Checked before the bench starts, so that a
/// missing package costs a sentence, not a stack trace after minutes of training. Debian's own packages are installed
/// when the bench runs as root with the system's Python (as scripts/infra.sh installs its servers); elsewhere the
/// bench says what is missing and how to get it.
/// </summary>
internal static class PyTorchBaseline
{
    private const string SystemPython = "/usr/bin/python3";
    private static readonly string[] Packages = ["python3-torch", "python3-numpy"];

    /// <summary>True when <paramref name="python"/> imports torch and numpy, installing them first where it may.</summary>
    public static bool EnsureAvailable(string python)
    {
        var (ok, detail) = Probe(python);
        if (!ok && python == SystemPython && Environment.IsPrivilegedProcess && File.Exists("/usr/bin/apt-get"))
        {
            Console.WriteLine($"PyTorch baseline: {python} has no PyTorch; installing Debian's {string.Join(" and ", Packages)} with apt-get (PyTorch 1.13, about 170 packages, once)");
            // As scripts/infra.sh: wait for another install's dpkg lock, and update the package lists only when the
            // first try fails (they may be empty on a fresh machine).
            if (!AptGet(["install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=600", .. Packages]))
            {
                AptGet(["-o", "DPkg::Lock::Timeout=600", "update"]);
                AptGet(["install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=600", .. Packages]);
            }

            (ok, detail) = Probe(python);
        }

        if (ok)
        {
            Console.WriteLine($"PyTorch baseline: {python}, torch {detail}");
            return true;
        }

        Console.Error.WriteLine($"""
            vision bench: the PyTorch baseline needs torch and numpy for {python}, and they do not import:
              {detail}
            Install them, then run the bench again:
              apt-get install -y python3-torch python3-numpy    (as root: Debian's PyTorch 1.13; the bench does this itself when run as root)
            or time the TorchSharp side alone (no PyTorch step or detection figures, no ratios):
              dotnet run -c Release --project bench/vision/Pipeline.Bench.Vision -- --no-python
            """);
        return false;
    }

    private static (bool Ok, string Detail) Probe(string python)
    {
        var start = new ProcessStartInfo(python, ["-c", "import numpy, torch; print(torch.__version__)"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0
                ? (true, output.Trim())
                : (false, error.Trim().Split('\n')[^1]);
        }
        catch (Win32Exception exception)
        {
            return (false, $"{python}: {exception.Message}");
        }
    }

    private static bool AptGet(string[] arguments)
    {
        var start = new ProcessStartInfo("apt-get", arguments) { Environment = { ["DEBIAN_FRONTEND"] = "noninteractive" } };
        using var process = Process.Start(start)!;
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}
