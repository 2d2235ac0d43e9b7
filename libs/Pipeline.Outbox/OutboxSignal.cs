namespace Pipeline.Outbox;

/// <summary>Wakes the relay as soon as a transaction with outgoing messages commits, so delivery does not wait for the next poll.</summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim pending = new(0, 1);

    public void Notify()
    {
        try
        {
            pending.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: one wake-up drains everything committed so far.
        }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => pending.WaitAsync(timeout, cancellationToken);
}
