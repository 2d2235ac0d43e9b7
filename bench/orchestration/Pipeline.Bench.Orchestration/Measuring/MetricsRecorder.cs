using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Pipeline.Orchestrator.Persistence;

namespace Pipeline.Bench.Orchestration.Measuring;

/// <summary>
/// Listens to MassTransit's meter and the Orchestrator's (optimistic concurrency conflicts), summing every counter and
/// histogram by instrument and endpoint, so each phase of the bench can say what it cost: messages consumed, retries,
/// conflicts, time inside the saga.
/// </summary>
public sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, Total> totals = new();

    public MetricsRecorder()
    {
        listener.InstrumentPublished = (instrument, meterListener) =>
        {
            if (instrument.Meter.Name is "MassTransit" or SagaRepositoryMetrics.MeterName)
            {
                meterListener.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        listener.Start();
    }

    public Snapshot Take() => new(totals.ToDictionary(entry => entry.Key, entry => (entry.Value.Count, entry.Value.Sum)));

    public void Dispose() => listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? endpoint = null;
        foreach (var tag in tags)
        {
            if (tag.Key is "messaging.masstransit.destination" or "messaging.destination.name" or "messaging.masstransit.consumer_type" or "saga")
            {
                endpoint ??= tag.Value?.ToString();
            }
        }

        var total = totals.GetOrAdd($"{instrument.Name}|{EndpointName(endpoint)}", _ => new Total());
        total.Add(value);
    }

    // rabbitmq://host/vhost/queue?bind=... : the queue is what a reader of the report knows.
    private static string EndpointName(string? endpoint)
    {
        if (endpoint is null)
        {
            return "";
        }

        var name = endpoint.Split('?')[0];
        return name[(name.LastIndexOf('/') + 1)..];
    }

    public sealed class Snapshot(Dictionary<string, (long Count, double Sum)> values)
    {
        public IReadOnlyDictionary<string, (long Count, double Sum)> Values => values;

        public Snapshot Minus(Snapshot earlier) => new(values.ToDictionary(
            entry => entry.Key,
            entry => earlier.Values.TryGetValue(entry.Key, out var before)
                ? (entry.Value.Count - before.Count, entry.Value.Sum - before.Sum)
                : entry.Value));

        /// <summary>The sum over every key of the instrument whose endpoint matches (all endpoints when null).</summary>
        public double Sum(string instrument, Func<string, bool>? endpoint = null) =>
            Matching(instrument, endpoint).Sum(entry => entry.Sum);

        public long Count(string instrument, Func<string, bool>? endpoint = null) =>
            Matching(instrument, endpoint).Sum(entry => entry.Count);

        private IEnumerable<(long Count, double Sum)> Matching(string instrument, Func<string, bool>? endpoint) =>
            values.Where(entry =>
                {
                    var parts = entry.Key.Split('|', 2);
                    return parts[0] == instrument && (endpoint is null || endpoint(parts[1]));
                })
                .Select(entry => entry.Value);
    }

    private sealed class Total
    {
        private long count;
        private double sum;

        public long Count => Interlocked.Read(ref count);
        public double Sum { get { lock (this) { return sum; } } }

        public void Add(double value)
        {
            Interlocked.Increment(ref count);
            lock (this)
            {
                sum += value;
            }
        }
    }
}
