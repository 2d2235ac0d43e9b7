namespace Pipeline.Vision.Models;

// model.json is the contracts' ModelDescription (Files: name, sha256, length); this library only adds its exception.

/// <summary>A file did not hash to what model.json (or a checkpoint) says.</summary>
public sealed class ChecksumMismatchException(string file, string expected, string actual)
    : IOException($"Checksum mismatch for {file}: model.json says sha256 {expected}, the file hashes to {actual}")
{
    public string File { get; } = file;
    public string Expected { get; } = expected;
    public string Actual { get; } = actual;
}
