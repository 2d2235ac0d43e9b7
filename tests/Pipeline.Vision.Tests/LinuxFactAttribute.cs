namespace Pipeline.Vision.Tests;

/// <summary>A fact that runs on Linux and is reported as skipped elsewhere, rather than passing without asserting.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Runs on Linux only: it checks glibc's malloc_trim.";
        }
    }
}
