namespace Pipeline.Artifacts;

/// <summary>
/// An attempt's output folder, written once: the work goes into a staging folder (<see cref="ArtifactKeys.Staging"/>), its
/// outcome last (<see cref="ArtifactKeys.Outcome"/>), and the folder is renamed into place whole. A second delivery of the
/// same attempt (the outbox sending a row twice, RabbitMQ redelivering after a lost connection) finds the outcome and
/// answers with it; one racing the first loses the rename and takes the winner's. Neither deletes or rewrites a file
/// that a later stage may already be reading.
/// </summary>
public static class WriteOnceFolders
{
    /// <returns>The outcome of the complete folder at <paramref name="folderKey"/>, or default when there is none yet.</returns>
    public static async Task<T?> ReadOutcomeAsync<T>(this IArtifactStore store, string folderKey, CancellationToken cancellationToken = default)
        where T : class =>
        store.Exists(ArtifactKeys.Outcome(folderKey)) ? await store.ReadAsync<T>(ArtifactKeys.Outcome(folderKey), cancellationToken) : null;

    /// <summary>
    /// Writes <paramref name="outcome"/> into the staging folder and renames it to <paramref name="folderKey"/>; when a copy
    /// of the attempt got there first, drops the staging folder and returns that copy's outcome.
    /// </summary>
    public static async Task<T> CompleteAsync<T>(this IArtifactStore store, string stagingKey, string folderKey, T outcome, CancellationToken cancellationToken = default)
        where T : class
    {
        await store.WriteJsonAsync(ArtifactKeys.Outcome(stagingKey), outcome, cancellationToken);
        if (store.TryMoveFolder(stagingKey, folderKey))
        {
            return outcome;
        }

        store.Delete(stagingKey);
        // A folder without an outcome was written before attempts' folders were written once: it is not ours to replace.
        return await store.ReadOutcomeAsync<T>(folderKey, cancellationToken)
            ?? throw new InvalidOperationException($"'{folderKey}' exists without its outcome: it was not written as a whole, and is left as it is.");
    }
}
