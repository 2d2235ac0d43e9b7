namespace Pipeline.Artifacts;

/// <summary>The trainings whose scratch is dropped (<see cref="ArtifactKeys.Ended"/>).</summary>
public static class EndedTrainings
{
    /// <summary>Marks the training ended; called before a cleanup drops anything, so a late command never meets half a scratch unmarked.</summary>
    public static async Task MarkEndedAsync(this IArtifactStore store, Guid trainingId, CancellationToken cancellationToken)
    {
        if (!store.HasEnded(trainingId))
        {
            await store.WriteAsync(ArtifactKeys.Ended(trainingId), Stream.Null, cancellationToken);
        }
    }

    public static bool HasEnded(this IArtifactStore store, Guid trainingId) => store.Exists(ArtifactKeys.Ended(trainingId));
}
