using Pipeline.Artifacts;

namespace Pipeline.Trainer.Training;

/// <summary>
/// One Trainer at a time per training, across every process that shares the artifact store: an exclusive lock on a
/// file in the training's folder (flock on Linux), held while it trains and let go by the system if the process dies.
/// </summary>
public static class TrainingLock
{
    public static FileStream? TryAcquire(IArtifactStore store, Guid trainingId)
    {
        var path = store.GetLocalPath($"{ArtifactKeys.Training(trainingId)}/trainer.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
