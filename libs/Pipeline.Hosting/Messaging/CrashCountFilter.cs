using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Artifacts;

namespace Pipeline.Hosting.Messaging;

/// <summary>
/// Counts, outside the process, the deliveries of a command whose consumer never finished: a count file in the
/// artifact store is written when a delivery starts and removed when it ends, however it ends (a command handed back
/// by a stopping worker ends too, <see cref="HandBackOnShutdownFilter{TConsumer, TMessage}"/>). A count left behind means the worker died
/// on it (out of memory, a native crash, SIGKILL). After <c>Retry:CrashLimit</c> such deliveries the command faults
/// instead of running again, so it lands in its _error queue and fails its training at the stage, instead of being
/// redelivered for ever ahead of every other command. The count protects the queue; it never costs a command: a count
/// that cannot be read, written or removed (a full or read-only disk, a file cut short by a power loss) is logged and
/// the command runs, uncounted or counted once.
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
            Forget(key);
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

        var counted = await WriteAsync(key, crashes + 1, context.CancellationToken);
        try
        {
            await next.Send(context);
        }
        finally
        {
            if (counted)
            {
                Forget(key);
            }
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("crashCount");

    private async Task<int> ReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            if (!store.Exists(key))
            {
                return 0;
            }

            await using var stream = await store.OpenReadAsync(key, cancellationToken);
            var bytes = new byte[sizeof(int)];
            await stream.ReadExactlyAsync(bytes, cancellationToken);
            return Math.Max(1, BitConverter.ToInt32(bytes));
        }
        catch (EndOfStreamException)
        {
            // A count file exists, so a delivery began and never ended; its number was lost (a power loss mid-write).
            logger.LogWarning("The crash count {Key} is cut short; counting one crash", key);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("The crash count {Key} cannot be read ({Reason}); the command runs uncounted", key, e.Message);
            return 0;
        }
    }

    private async Task<bool> WriteAsync(string key, int count, CancellationToken cancellationToken)
    {
        try
        {
            await store.WriteAsync(key, new MemoryStream(BitConverter.GetBytes(count)), cancellationToken);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("The crash count {Key} cannot be written ({Reason}); the command runs uncounted", key, e.Message);
            return false;
        }
    }

    /// <summary>Never throws: the command's work is done (or handed back), and a failed delete must not undo that.</summary>
    private void Forget(string key)
    {
        try
        {
            store.Delete(key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("The crash count {Key} cannot be removed ({Reason}); a later delivery may count one crash too many", key, e.Message);
        }
    }
}
