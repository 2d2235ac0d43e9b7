using System.Security.Cryptography;

namespace Pipeline.Vision.Models;

public static class FileHashes
{
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Throws <see cref="ChecksumMismatchException"/> naming the first file that is missing or differs.</summary>
    public static void Verify(string directory, IReadOnlyDictionary<string, string> files)
    {
        foreach (var (name, expected) in files)
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path)) throw new FileNotFoundException($"{name} is listed in model.json but missing from {directory}", path);
            var actual = Sha256(path);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new ChecksumMismatchException(path, expected, actual);
        }
    }
}
