using System.Runtime.InteropServices;

namespace Pipeline.Vision;

/// <summary>
/// glibc's heap under libtorch's CPU allocator, which takes every tensor from malloc and frees it at once.
/// </summary>
/// <remarks>
/// Evaluation allocates other shapes than training, on threads with arenas of their own: the free pages it leaves are
/// ones training never reuses, so <see cref="Training.DetectorTrainer"/> hands them back after each evaluation and when
/// it is disposed. glibc's thresholds are left alone: the settings tried are in bench/vision/README.md.
/// </remarks>
public static class NativeHeap
{
    /// <summary>
    /// Returns the free pages of every malloc arena to the kernel (<c>malloc_trim(0)</c>); what is in use stays.
    /// A few milliseconds; the next training step faults its working set back in. False where libc is not glibc.
    /// </summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            malloc_trim(0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
