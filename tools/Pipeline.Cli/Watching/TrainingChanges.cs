using System.Net.ServerSentEvents;
using System.Text.Json;
using Pipeline.Cli.StatusApi;

namespace Pipeline.Cli.Watching;

/// <summary>
/// When to look at a training again: as soon as the Orchestrator's live stream (<c>/events</c>) says something happened
/// to it, and every <c>poll</c> while the stream is down (an older Orchestrator, a broken connection being reopened).
/// While the stream is up, a slow look every few seconds still catches a change the stream dropped.
/// </summary>
public sealed class TrainingChanges : IAsyncDisposable
{
    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SafetyLook = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource stopping = new();
    private readonly Task reading;
    private readonly Guid trainingId;
    private readonly TimeSpan poll;
    private readonly SemaphoreSlim changed = new(0);
    private volatile bool streaming;

    public TrainingChanges(StatusApiClient api, Guid trainingId, TimeSpan poll)
    {
        this.trainingId = trainingId;
        this.poll = poll;
        reading = Task.Run(() => ReadAsync(api, stopping.Token));
    }

    /// <summary>Whether the live stream is open now.</summary>
    public bool Streaming => streaming;

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await changed.WaitAsync(streaming ? SafetyLook : poll, cancellationToken);
        // Several events in a burst need one look, not one each.
        while (changed.CurrentCount > 0)
        {
            await changed.WaitAsync(cancellationToken);
        }
    }

    private async Task ReadAsync(StatusApiClient api, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var stream = await api.OpenEventStreamAsync(cancellationToken);
                await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
                {
                    if (item.EventType == "subscribed")
                    {
                        streaming = true;
                        changed.Release(); // what happened before the stream opened is looked at once
                    }
                    else if (IsAbout(item.Data))
                    {
                        changed.Release();
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException && !cancellationToken.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            streaming = false;
            await Task.Delay(Reconnect, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private bool IsAbout(string data)
    {
        using var json = JsonDocument.Parse(data);
        return json.RootElement.TryGetProperty("trainingId", out var id) && id.TryGetGuid(out var guid) && guid == trainingId;
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await reading;
        stopping.Dispose();
        changed.Dispose();
    }
}
