namespace Pipeline.Vision.Tests;

public sealed class NativeHeapTests
{
    [Fact]
    public void Trims_glibcs_arenas_on_linux()
    {
        if (!OperatingSystem.IsLinux()) return;
        // Debian's glibc: the call reaches libc's malloc_trim.
        Assert.True(NativeHeap.Trim());
    }
}
