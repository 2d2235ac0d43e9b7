namespace Pipeline.Vision.Tests;

public sealed class When_the_native_heap_is_trimmed
{
    [LinuxFact]
    public void Trim_reaches_glibcs_malloc_trim_and_says_so_on_linux()
    {
        // Debian's glibc: the call reaches libc's malloc_trim.
        Assert.True(NativeHeap.Trim());
    }
}
