using System.Security.Cryptography;
using System.Text.Json;
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
    /// half-written target is removed. model.json is read once: the bytes checked (against
    /// <paramref name="registeredDescriptionSha256"/>, the registry's record of a registered model, when given), parsed
    /// and written are the same. The target is replaced whole, so a redelivered copy leaves the same folder.
    /// </summary>
    public static async Task<VerifiedModel> CopyVerifiedModelAsync(
        this IArtifactStore store, string sourceKey, string targetKey, string? registeredDescriptionSha256 = null,
        CancellationToken cancellationToken = default)
    {
        byte[] json;
        await using (var stream = await store.OpenReadAsync(DescriptionKey(sourceKey), cancellationToken))
        using (var buffer = new MemoryStream())
        {
            await stream.CopyToAsync(buffer, cancellationToken);
            json = buffer.ToArray();
        }

        var descriptionSha256 = Convert.ToHexStringLower(SHA256.HashData(json));
        if (registeredDescriptionSha256 is not null && !string.Equals(descriptionSha256, registeredDescriptionSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new StageInputException(
                $"Model at '{sourceKey}' is not the one registered: its {ModelDescription.FileName} has sha256 {descriptionSha256}, " +
                $"but the registry recorded {registeredDescriptionSha256} when it registered the model.");
        }

        var description = (json.Length == 0 ? null : JsonSerializer.Deserialize<ModelDescription>(json, ContractJson.Files))
            ?? throw new StageInputException($"Model at '{sourceKey}' has an empty {ModelDescription.FileName}.");
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

            await store.WriteAsync(DescriptionKey(targetKey), new MemoryStream(json), cancellationToken);
            return new VerifiedModel(description, descriptionSha256);
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

/// <summary>A model folder copied with every file checked: its model.json, and that file's sha256 (what the registry records).</summary>
public sealed record VerifiedModel(ModelDescription Description, string DescriptionSha256);
