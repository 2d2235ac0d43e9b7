using System.Security.Cryptography;

namespace Pipeline.Vision.Models;

public static class FileHashes
{
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>model.json's entry for a file in <paramref name="directory"/>.</summary>
    public static ModelFile Describe(string directory, string name)
    {
        var path = Path.Combine(directory, name);
        return new ModelFile { Name = name, Sha256 = Sha256(path), Length = new FileInfo(path).Length };
    }

    /// <summary>
    /// Where a file model.json names lies: a plain file name inside <paramref name="directory"/>, nothing else, since
    /// model.json comes with the model and whoever made it chose the names (<c>../../etc/passwd</c>, <c>/etc/shadow</c>).
    /// </summary>
    /// <exception cref="InvalidDataException">the name is not a plain file name; the message names it.</exception>
    public static string Resolve(string directory, string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0)
        {
            throw new InvalidDataException($"model.json names file '{name}', which is not a plain file name inside the model's folder");
        }

        return Path.Combine(directory, name);
    }

    /// <summary>Throws <see cref="ChecksumMismatchException"/> naming the first file that is missing or differs.</summary>
    public static void Verify(string directory, IReadOnlyList<ModelFile> files)
    {
        foreach (var file in files)
        {
            var path = Resolve(directory, file.Name);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{file.Name} is listed in model.json but missing from {directory}", path);
            }

            var actual = Sha256(path);
            if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new ChecksumMismatchException(path, file.Sha256, actual);
            }
        }
    }
}
