namespace Pipeline.Messaging;

/// <summary>The queue a replay would move messages back into does not exist: nothing has consumed it yet.</summary>
public sealed class ReplayTargetMissingException(string queue)
    : Exception($"queue '{queue}' does not exist, so nothing can move back into it; start the service that consumes it first.")
{
    public string Queue { get; } = queue;
}
