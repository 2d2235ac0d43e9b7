using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Artifacts;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// Counts, outside the process, the deliveries of a command whose consumer never finished: a count file in the
/// artifact store is written when a delivery starts and removed when it ends, however it ends. A count left behind
/// means the worker died on it (out of memory, a native crash). After <c>Retry:CrashLimit</c> such deliveries the
/// command faults instead of running again, so it lands in its _error queue and fails its training at the stage,
/// instead of being redelivered for ever ahead of every other command.
/// </summary>
public sealed class CrashCountFilter<T>(IArtifactStore store, IOptions<RetrySettings> settings, ILogger<CrashCountFilter<T>> logger)
    : IFilter<ConsumeContext<T>>
    where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (context.MessageId is not { } messageId)
        {
            await next.Send(context);
            return;
        }

        var key = $"crashes/{context.ReceiveContext.InputAddress.AbsolutePath.Trim('/').Replace('/', '-')}/{messageId:N}";
        var crashes = await ReadAsync(key, context.CancellationToken);
        if (crashes >= settings.Value.CrashLimit)
        {
            store.Delete(key);
            var poison = new StageInputException(
                $"The worker crashed {crashes} times on this command ({typeof(T).Name} {messageId}); it is set aside in the _error queue " +
                $"(Retry:CrashLimit = {settings.Value.CrashLimit}), where 'pipeline replay' can bring it back.");
            // Outside the consumer, so MassTransit would move the message to _error without the Fault<T> the saga waits for.
            await context.NotifyFaulted(context, TimeSpan.Zero, nameof(CrashCountFilter<T>), poison);
            throw poison;
        }

        if (crashes > 0)
        {
            logger.LogWarning("{MessageType} {MessageId} is delivered again after the worker died on it {Crashes} times", typeof(T).Name, messageId, crashes);
        }

        await store.WriteAsync(key, new MemoryStream(BitConverter.GetBytes(crashes + 1)), context.CancellationToken);
        try
        {
            await next.Send(context);
        }
        finally
        {
            store.Delete(key);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("crashCount");

    private async Task<int> ReadAsync(string key, CancellationToken cancellationToken)
    {
        if (!store.Exists(key))
        {
            return 0;
        }

        await using var stream = await store.OpenReadAsync(key, cancellationToken);
        var bytes = new byte[sizeof(int)];
        await stream.ReadExactlyAsync(bytes, cancellationToken);
        return BitConverter.ToInt32(bytes);
    }
}
