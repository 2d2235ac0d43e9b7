using System.Text.Json;
using Pipeline.Contracts;

namespace Pipeline.Artifacts;

/// <summary>The JSON every service writes into the artifact store, as <see cref="ContractJson.Files"/> says.</summary>
public static class ArtifactJson
{
    private static JsonSerializerOptions Options => ContractJson.Files;

    /// <summary>Reads a JSON artifact; a missing or malformed one is bad input, named by its key.</summary>
    public static async Task<T> ReadAsync<T>(this IArtifactStore store, string key, CancellationToken cancellationToken = default)
    {
        if (!store.Exists(key))
        {
            throw new StageInputException($"Artifact '{key}' does not exist.");
        }

        await using var stream = await store.OpenReadAsync(key, cancellationToken);
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(stream, Options, cancellationToken)
                ?? throw new StageInputException($"Artifact '{key}' holds JSON null, not a {typeof(T).Name}.");
        }
        catch (JsonException e)
        {
            throw new StageInputException($"Artifact '{key}' is not valid {typeof(T).Name} JSON: {e.Message}", e);
        }
    }

    public static async Task<StoredArtifact> WriteJsonAsync<T>(this IArtifactStore store, string key, T value, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await JsonSerializer.SerializeAsync(buffer, value, Options, cancellationToken);
        buffer.Position = 0;
        return await store.WriteAsync(key, buffer, cancellationToken);
    }
}
