namespace Pipeline.Vision.Tests;

public sealed class NativeHeapTests
{
    [LinuxFact]
    public void Trim_reaches_glibcs_malloc_trim_and_says_so_on_linux()
    {
        // Debian's glibc: the call reaches libc's malloc_trim.
        Assert.True(NativeHeap.Trim());
    }
}
