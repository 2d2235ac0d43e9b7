using Pipeline.Contracts;

namespace Pipeline.Artifacts;

/// <summary>A model folder (weights + model.json listing every file's sha256), copied only when every file checks out.</summary>
public static class ModelArtifacts
{
    public static string DescriptionKey(string modelKey) => $"{modelKey}/{ModelDescription.FileName}";

    public static Task<ModelDescription> ReadDescriptionAsync(this IArtifactStore store, string modelKey, CancellationToken cancellationToken = default) =>
        store.ReadAsync<ModelDescription>(DescriptionKey(modelKey), cancellationToken);

    /// <summary>
    /// Copies every file named in the source's model.json, then model.json itself, to <paramref name="targetKey"/>,
    /// hashing while copying: a file whose sha256 or length differs from model.json fails with its name, and the
    /// half-written target is removed. The target is replaced whole, so a redelivered copy leaves the same folder.
    /// </summary>
    public static async Task<ModelDescription> CopyVerifiedModelAsync(
        this IArtifactStore store, string sourceKey, string targetKey, CancellationToken cancellationToken = default)
    {
        var description = await store.ReadDescriptionAsync(sourceKey, cancellationToken);
        if (description.Files.Count == 0)
        {
            throw new StageInputException($"Model at '{sourceKey}' lists no files in its {ModelDescription.FileName}.");
        }

        store.Delete(targetKey);
        try
        {
            foreach (var file in description.Files)
            {
                var name = CheckedName(file.Name, sourceKey);
                var source = $"{sourceKey}/{name}";
                if (!store.Exists(source))
                {
                    throw new StageInputException($"Model file '{name}' listed in {ModelDescription.FileName} is missing at '{sourceKey}'.");
                }

                await using var content = await store.OpenReadAsync(source, cancellationToken);
                var copied = await store.WriteAsync($"{targetKey}/{name}", content, cancellationToken);
                if (!string.Equals(copied.Sha256, file.Sha256, StringComparison.OrdinalIgnoreCase)
                    || (file.Length > 0 && copied.Length != file.Length))
                {
                    throw new StageInputException(
                        $"Model file '{name}' at '{sourceKey}' does not match its {ModelDescription.FileName}: " +
                        $"sha256 {copied.Sha256} ({copied.Length} bytes), expected {file.Sha256} ({file.Length} bytes).");
                }
            }

            await using (var json = await store.OpenReadAsync(DescriptionKey(sourceKey), cancellationToken))
            {
                await store.WriteAsync(DescriptionKey(targetKey), json, cancellationToken);
            }

            return description;
        }
        catch
        {
            store.Delete(targetKey);
            throw;
        }
    }

    // Names come from a file users can edit: plain names only, so every one lies in the model's own folder.
    private static string CheckedName(string name, string modelKey)
    {
        if (string.IsNullOrWhiteSpace(name) || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0)
        {
            throw new StageInputException(
                $"Model file name '{name}' in {ModelDescription.FileName} at '{modelKey}' is not a plain file name inside the model's folder.");
        }

        return name;
    }
}
