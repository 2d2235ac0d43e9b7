using System.Runtime.InteropServices;

namespace Pipeline.Downloader.Datasets;

/// <summary>
/// What a local path really is, from the kernel: its real path with every link resolved (a linked parent folder
/// included, which <see cref="FileSystemInfo.ResolveLinkTarget"/> does not see) and its file type (.NET reports a
/// FIFO or <c>/dev/zero</c> as a normal file, whose length of 0 passes any byte budget and which is read forever).
/// </summary>
public static partial class LocalFiles
{
    private const int AtCurrentFolder = -100;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28;

    /// <summary>The real absolute path, or null when nothing is there.</summary>
    public static string? RealPath(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    /// <summary>What the path is, links followed: "regular file", "folder", "FIFO", "character device", ...; null when missing.</summary>
    public static string? KindOf(string path)
    {
        var buffer = new byte[256];
        if (statx(AtCurrentFolder, path, 0, StatxType, buffer) != 0)
        {
            return null;
        }

        return (BitConverter.ToUInt16(buffer, StatxModeOffset) & 0xF000) switch
        {
            0x8000 => RegularFile,
            0x4000 => "folder",
            0x1000 => "FIFO",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            var other => $"file of type 0x{other:x}",
        };
    }

    public const string RegularFile = "regular file";

    /// <summary>Whether a real path is a root or lies under one (all real paths).</summary>
    public static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr realpath(string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int directory, string path, int flags, uint mask, byte[] buffer);
}
