using Microsoft.Extensions.Options;
using Pipeline.Artifacts;

namespace Pipeline.Trainer.Training;

/// <summary>Takes a training's <see cref="TrainingLease"/> for an attempt, waiting a bounded while for an older attempt's holder to yield or go silent.</summary>
public sealed class TrainingLeases(IArtifactStore store, IOptions<TrainerSettings> settings, TimeProvider clock)
{
    /// <summary>The outcome and, when <see cref="TrainingLease.Outcome.Taken"/>, the lease; still Busy (or Duplicate) after twice the lease timeout.</summary>
    public async Task<(TrainingLease.Outcome Outcome, TrainingLease? Lease)> TakeAsync(Guid trainingId, int attempt, CancellationToken cancellationToken)
    {
        var timeout = settings.Value.LeaseTimeout;
        var holder = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        var giveUp = clock.GetUtcNow() + timeout * 2;
        var poll = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 10, TimeSpan.FromMilliseconds(200).Ticks, TimeSpan.FromSeconds(5).Ticks));
        while (true)
        {
            var outcome = TrainingLease.TryTake(store, trainingId, attempt, holder, timeout, clock, out var lease);
            // A live duplicate's holder may be about to go silent (hung): wait for that as for an older attempt to yield.
            if (outcome is not (TrainingLease.Outcome.Busy or TrainingLease.Outcome.Duplicate) || clock.GetUtcNow() >= giveUp)
            {
                return (outcome, lease);
            }

            await Task.Delay(poll, clock, cancellationToken);
        }
    }
}
