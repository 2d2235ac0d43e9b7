namespace Pipeline.Vision.Models;

// model.json is the contracts' ModelDescription (Files: name, sha256, length); this library only adds its exception.

/// <summary>A file did not hash to what model.json (or a checkpoint, or the model registry) says.</summary>
/// <param name="expectedBy">Who recorded <paramref name="expected"/>, in words: "model.json" or "the registry".</param>
public sealed class ChecksumMismatchException(string file, string expected, string actual, string expectedBy = ModelDescription.FileName)
    : IOException($"Checksum mismatch for {file}: {expectedBy} says sha256 {expected}, the file hashes to {actual}")
{
    public const string Registry = "the registry";
    public string ExpectedBy { get; } = expectedBy;
    public string File { get; } = file;
    public string Expected { get; } = expected;
    public string Actual { get; } = actual;
}
