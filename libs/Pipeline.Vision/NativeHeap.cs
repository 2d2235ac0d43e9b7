using System.Runtime.InteropServices;

namespace Pipeline.Vision;

/// <summary>
/// glibc's heap under libtorch's CPU allocator, which takes every tensor from malloc and frees it at once.
/// </summary>
/// <remarks>
/// A training step frees 100-160 MiB of activations and gradients and allocates the same sizes again in the next
/// step; glibc keeps them in its arenas (its mmap threshold rises to the largest chunk freed) and trims the top of an
/// arena now and then, so resident memory after a step moves by about 10 MiB either way with no trend. Evaluation
/// allocates other shapes, and its decoding threads use arenas of their own: the free pages it leaves are ones the
/// training steps do not reuse, so <see cref="Training.DetectorTrainer"/> hands them back after each evaluation and
/// when it is disposed. Tried and not kept: fixing glibc's thresholds so the arenas never trim (mallopt, or
/// <c>MALLOC_TRIM_THRESHOLD_</c>/<c>MALLOC_MMAP_THRESHOLD_</c>) stops the swings but let the arenas creep up by
/// 20-30 MiB over 2000 iterations; taking every large tensor from mmap (<c>MALLOC_MMAP_THRESHOLD_=131072</c>) keeps
/// resident memory at the live tensors but faults every activation in again (a bench step took 228 ms instead of 84);
/// <c>MALLOC_ARENA_MAX=2</c> made the swings larger.
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
