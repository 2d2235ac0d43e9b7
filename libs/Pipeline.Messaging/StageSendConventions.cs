using MassTransit;
using Pipeline.Contracts;

namespace Pipeline.Messaging;

/// <summary>Lets <c>Send</c> find each command's queue: every stage's command goes to its declared queue, the user's commands to the saga's (a promotion to the Uploader's).</summary>
public static class StageSendConventions
{
    private static readonly System.Reflection.MethodInfo MapMethod =
        typeof(StageSendConventions).GetMethod(nameof(MapTo), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;

    private static int mapped;

    /// <summary>Idempotent, since every host calls it.</summary>
    public static void Map()
    {
        if (Interlocked.Exchange(ref mapped, 1) == 1)
        {
            return;
        }

        foreach (var stage in TrainingStages.All)
        {
            MapMethod.MakeGenericMethod(stage.Command).Invoke(null, [stage.Queue]);
        }

        MapTo<BeginTraining>(StageQueues.Training);
        MapTo<CancelTraining>(StageQueues.Training);
        MapTo<StopTraining>(StageQueues.Training);
        MapTo<RetryTraining>(StageQueues.Training);
        MapTo<StageTimedOut>(StageQueues.Training);
        MapTo<FailedTrainingExpired>(StageQueues.Training);
        MapTo<PromoteModel>(StageQueues.PromoteModel);
    }

    public static Uri Address(string queue) => new($"queue:{queue}");

    private static void MapTo<T>(string queue)
        where T : class =>
        EndpointConvention.Map<T>(Address(queue));
}
