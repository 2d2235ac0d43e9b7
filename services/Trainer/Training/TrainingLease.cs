using System.Text.Json;
using Pipeline.Artifacts;

namespace Pipeline.Trainer.Training;

/// <summary>
/// Which Trainer trains a training, across every process that shares the artifact store: a lease file in the training's
/// folder naming the attempt and the process that holds it, renewed by a timer while it trains. A newer attempt asks an
/// older holder to yield (the holder's timer reads the request and stops its run), and takes the lease once it is free
/// or its holder has gone silent past <see cref="TrainerSettings.LeaseTimeout"/> (dead, or hung as by SIGSTOP), so no
/// attempt waits for ever behind a hung Trainer. A holder that finds the lease no longer names it (taken over while it
/// hung, or dropped by a cancel's cleanup) stops before it writes again. A holder also keeps a lock of its own (flock on
/// Linux) for as long as it runs, which the system lets go when its process dies: a crashed holder's lease is taken at
/// once, a frozen one's after the timeout. Reads and writes of the lease are serialised by a short lock on a third file.
/// </summary>
public sealed class TrainingLease : IDisposable
{
    private static readonly TimeSpan MutexWait = TimeSpan.FromSeconds(10);
    private readonly IArtifactStore store;
    private readonly Guid trainingId;
    private readonly TimeSpan timeout;
    private readonly TimeProvider clock;
    private readonly CancellationTokenSource lost = new();
    private readonly Timer renewal;
    private readonly FileStream alive;
    private int released;

    private TrainingLease(IArtifactStore store, Guid trainingId, int attempt, string holder, FileStream alive, TimeSpan timeout, TimeProvider clock)
    {
        this.store = store;
        this.alive = alive;
        this.trainingId = trainingId;
        this.timeout = timeout;
        this.clock = clock;
        Attempt = attempt;
        Holder = holder;
        renewal = new Timer(_ => Renew(), null, timeout / 4, timeout / 4);
    }

    public int Attempt { get; }

    public string Holder { get; }

    /// <summary>Cancelled once the lease is no longer this run's: a newer attempt asked for it, took it, or the training's folder went.</summary>
    public CancellationToken Lost => lost.Token;

    /// <summary>Who holds a training's lease now, and how the attempt asking for it fares.</summary>
    public enum Outcome
    {
        /// <summary>Taken: this attempt trains.</summary>
        Taken,

        /// <summary>Held by a live holder of an older attempt, which is asked to yield: try again shortly.</summary>
        Busy,

        /// <summary>Held by a live holder of this same attempt: this delivery is a duplicate of the one it runs.</summary>
        Duplicate,

        /// <summary>Held by, or last taken for, a newer attempt: this command is stale.</summary>
        Superseded,

        /// <summary>The training has ended and its scratch is dropped (<see cref="ArtifactKeys.Ended"/>): nothing to train.</summary>
        Ended,
    }

    public static string Key(Guid trainingId) => $"{ArtifactKeys.Training(trainingId)}/trainer.lease";

    /// <summary>The file locked around each read-modify-write of the lease; dropped with it.</summary>
    public static string MutexKey(Guid trainingId) => $"{ArtifactKeys.Training(trainingId)}/trainer.lock";

    /// <summary>One try at taking the lease for <paramref name="attempt"/>; <paramref name="lease"/> is set when taken.</summary>
    public static Outcome TryTake(
        IArtifactStore store, Guid trainingId, int attempt, string holder, TimeSpan timeout, TimeProvider clock, out TrainingLease? lease)
    {
        lease = null;
        // Before the mutex, which would make the dropped folder again: a duplicate that waited out a holder finishing the
        // training must not take a lease the cleanup just dropped.
        if (store.HasEnded(trainingId))
        {
            return Outcome.Ended;
        }

        using var mutex = Mutex(store, trainingId, create: true);
        if (mutex is null)
        {
            return Outcome.Busy;
        }

        var now = clock.GetUtcNow();
        var current = Read(store, trainingId);
        if (current is not null && current.Holder != holder)
        {
            var silent = now - current.RenewedAt > timeout || IsDead(store, trainingId, current.Holder);
            if (current.Attempt > attempt)
            {
                return Outcome.Superseded;
            }

            if (!silent && current.Released is null)
            {
                if (current.Attempt == attempt)
                {
                    return Outcome.Duplicate;
                }

                if (current.YieldTo != attempt)
                {
                    Write(store, trainingId, current with { YieldTo = attempt });
                }

                return Outcome.Busy;
            }
        }

        var alive = HoldAlive(store, trainingId, holder);
        Write(store, trainingId, new LeaseRecord { Attempt = attempt, Holder = holder, RenewedAt = now });
        lease = new TrainingLease(store, trainingId, attempt, holder, alive, timeout, clock);
        return Outcome.Taken;
    }

    /// <summary>Whether the lease still names this run; false also cancels <see cref="Lost"/>.</summary>
    public bool StillHeld()
    {
        if (lost.IsCancellationRequested)
        {
            return false;
        }

        using var mutex = Mutex(store, trainingId);
        var current = Read(store, trainingId);
        if (current is null || current.Holder != Holder || current.Attempt != Attempt || current.YieldTo is not null)
        {
            lost.Cancel();
            return false;
        }

        return true;
    }

    private void Renew()
    {
        try
        {
            if (Volatile.Read(ref released) == 1)
            {
                return;
            }

            using var mutex = Mutex(store, trainingId);
            var current = Read(store, trainingId);
            if (current is null || current.Holder != Holder || current.Attempt != Attempt || current.YieldTo is not null)
            {
                lost.Cancel();
                return;
            }

            if (mutex is not null)
            {
                Write(store, trainingId, current with { RenewedAt = clock.GetUtcNow() });
            }
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // The store hiccuped: the next tick tries again, and a lease that stays unrenewed only lets a newer attempt in.
        }
    }

    /// <summary>Marks the lease free, if it is still this run's, so the next attempt need not wait for it to go silent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 1)
        {
            return;
        }

        renewal.Dispose();
        try
        {
            using var mutex = Mutex(store, trainingId);
            if (mutex is not null && Read(store, trainingId) is { } current && current.Holder == Holder && current.Attempt == Attempt)
            {
                Write(store, trainingId, current with { Released = clock.GetUtcNow() });
            }
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            // Left unreleased: it goes silent and the next attempt takes it after the lease timeout.
        }

        alive.Dispose();
        File.Delete(alive.Name);
        lost.Dispose();
    }

    /// <summary>
    /// The holder's own lock, held for as long as its run lasts: the system lets it go when the process dies, so a taker
    /// need not wait out the lease timeout after a crash. A frozen process keeps it: that case is the timeout's.
    /// </summary>
    private static FileStream HoldAlive(IArtifactStore store, Guid trainingId, string holder) =>
        new(AlivePath(store, trainingId, holder), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

    /// <summary>Whether the holder's process is gone: its lock can be taken (or its file is gone with it).</summary>
    private static bool IsDead(IArtifactStore store, Guid trainingId, string holder)
    {
        var path = AlivePath(store, trainingId, holder);
        try
        {
            using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
            }

            File.Delete(path);
            return true;
        }
        catch (FileNotFoundException)
        {
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string AlivePath(IArtifactStore store, Guid trainingId, string holder) =>
        store.GetLocalPath($"{ArtifactKeys.Training(trainingId)}/trainer-{holder[(holder.LastIndexOf(':') + 1)..]}.alive");

    private static LeaseRecord? Read(IArtifactStore store, Guid trainingId)
    {
        var path = store.GetLocalPath(Key(trainingId));
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<LeaseRecord>(File.ReadAllBytes(path));
        }
        catch (JsonException)
        {
            return null; // cut short by a crash mid-write: nobody holds it
        }
    }

    private static void Write(IArtifactStore store, Guid trainingId, LeaseRecord record)
    {
        var path = store.GetLocalPath(Key(trainingId));
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(record));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The short lock around a read-modify-write of the lease; null when it stays held past a bound (its holder hangs).</summary>
    private static FileStream? Mutex(IArtifactStore store, Guid trainingId, bool create = false)
    {
        var path = store.GetLocalPath(MutexKey(trainingId));
        if (create)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }
        else if (!Directory.Exists(Path.GetDirectoryName(path)))
        {
            return null; // the training's folder was dropped: nothing to lock, and nothing to create again
        }

        var giveUp = DateTime.UtcNow + MutexWait;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < giveUp)
            {
                Thread.Sleep(20);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    private sealed record LeaseRecord
    {
        public required int Attempt { get; init; }
        public required string Holder { get; init; }
        public required DateTimeOffset RenewedAt { get; init; }

        /// <summary>A newer attempt that waits for this one to stop.</summary>
        public int? YieldTo { get; init; }

        /// <summary>Set when its holder ended its run: free to take.</summary>
        public DateTimeOffset? Released { get; init; }
    }
}
