using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.DetectorNode.Api;
using Pipeline.DetectorNode.Tests;

namespace Pipeline.Bench.DetectorNode;

/// <summary>Clients that send the test images to the node without pause, for a fixed time, each answer timed.</summary>
public sealed class LoadRun(NodeHost node, IReadOnlyList<byte[]> images, BenchOptions options)
{
    /// <summary>The same detections called in-process (decode, the served model, the outbox): the node's work without HTTP.</summary>
    public Task<Figures> InProcessAsync(int batch)
    {
        var detection = node.Services.GetRequiredService<FieldDetection>();
        return RunAsync(batch, async (uploads, _) =>
        {
            var found = await detection.DetectAsync(uploads.Select((bytes, i) => new UploadedImage($"image-{i}", bytes)).ToList(), CancellationToken.None);
            return found?.Model.Version;
        });
    }

    public Task<Figures> HttpAsync(int batch) => RunAsync(batch, async (uploads, _) => await PostAsync(uploads));

    /// <summary>Clients send single images; a third of the way in, <paramref name="promote"/> publishes the new version.</summary>
    public async Task<SwapFigures> SwapAsync(Func<Task> promote, ModelVersion from, ModelVersion to)
    {
        var answers = new ConcurrentBag<(int Version, bool Matches, double Milliseconds, long At)>();
        var failures = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        long promotedAt = 0;
        var seenNew = new int[options.Clients];
        var deadline = TimeSpan.FromSeconds(options.Seconds);
        var clients = Enumerable.Range(0, options.Clients).Select(client => Task.Run(async () =>
        {
            // Until the time is up and this client has had answers from the new version: the swap happens under load.
            for (var i = client; clock.Elapsed < deadline || (seenNew[client] < 3 && clock.Elapsed < deadline * 8); i++)
            {
                var started = clock.ElapsedTicks;
                try
                {
                    var (version, modelId) = await PostSingleAsync(images[i % images.Count]);
                    var matches = modelId == (version == to.Version ? to.Id : version == from.Version ? from.Id : Guid.Empty);
                    answers.Add((version, matches, Stopwatch.GetElapsedTime(started, clock.ElapsedTicks).TotalMilliseconds, clock.ElapsedTicks));
                    seenNew[client] += version == to.Version ? 1 : 0;
                }
                catch (Exception e)
                {
                    failures.Add(e.Message);
                }
            }
        })).ToList();

        await Task.Delay(deadline / 3);
        promotedAt = clock.ElapsedTicks;
        await promote();
        await Task.WhenAll(clients);
        var firstNew = answers.Where(a => a.Version == to.Version).Select(a => a.At).DefaultIfEmpty(long.MaxValue).Min();
        var lastOld = answers.Where(a => a.Version == from.Version).Select(a => a.At).DefaultIfEmpty(0).Max();
        return new SwapFigures(answers.Count, failures.Count, failures.Distinct().Take(3).ToList(), answers.Count(a => !a.Matches),
            answers.Count(a => a.Version == from.Version), answers.Count(a => a.Version == to.Version),
            Stopwatch.GetElapsedTime(promotedAt, firstNew).TotalMilliseconds, Stopwatch.GetElapsedTime(promotedAt, lastOld).TotalMilliseconds,
            Figures.Percentile(answers.Where(a => a.At < promotedAt).Select(a => a.Milliseconds).ToList(), 0.95),
            Figures.Percentile(answers.Where(a => a.At >= promotedAt && a.At <= firstNew).Select(a => a.Milliseconds).ToList(), 0.95),
            from.Version, to.Version);
    }

    private async Task<Figures> RunAsync(int batch, Func<byte[][], int, Task<int?>> send)
    {
        var latencies = new ConcurrentBag<double>();
        var failed = 0;
        var warmup = TimeSpan.FromSeconds(options.WarmupSeconds);
        var measured = TimeSpan.FromSeconds(options.Seconds);
        var clock = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, options.Clients).Select(client => Task.Run(async () =>
        {
            for (var i = client * batch; clock.Elapsed < warmup + measured; i += batch)
            {
                var uploads = Enumerable.Range(i, batch).Select(k => images[k % images.Count]).ToArray();
                var started = clock.Elapsed;
                var version = await send(uploads, client);
                if (started >= warmup && clock.Elapsed <= warmup + measured)
                {
                    if (version is null)
                    {
                        Interlocked.Increment(ref failed);
                    }
                    else
                    {
                        latencies.Add((clock.Elapsed - started).TotalMilliseconds);
                    }
                }
            }
        })).ToList();
        await Task.WhenAll(clients);
        return new Figures(latencies.ToList(), batch, measured.TotalSeconds, failed);
    }

    private async Task<int?> PostAsync(byte[][] uploads)
    {
        using var form = new MultipartFormDataContent();
        for (var i = 0; i < uploads.Length; i++)
        {
            form.Add(NodeHost.ImageContent(uploads[i]), "image", $"image-{i}.png");
        }

        using var response = await node.Client.PostAsync(uploads.Length == 1 ? "/detect" : "/detect/batch", form);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        return uploads.Length == 1
            ? (await NodeHost.ReadAsync<NodeDetections>(response)).ModelVersion
            : (await NodeHost.ReadAsync<NodeDetectionBatch>(response)).ModelVersion;
    }

    private async Task<(int Version, Guid ModelId)> PostSingleAsync(byte[] image)
    {
        using var form = new MultipartFormDataContent { { NodeHost.ImageContent(image), "image", "image.png" } };
        using var response = await node.Client.PostAsync("/detect", form);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var answer = await NodeHost.ReadAsync<NodeDetections>(response);
        return (answer.ModelVersion, answer.ModelId);
    }
}

public sealed record Figures(IReadOnlyList<double> Latencies, int Batch, double Seconds, int Failed)
{
    public double RequestsPerSecond => Latencies.Count / Seconds;
    public double ImagesPerSecond => RequestsPerSecond * Batch;

    public string Line(string name) =>
        $"{name,-34} {RequestsPerSecond,8:F1} {ImagesPerSecond,9:F1} {Percentile(Latencies, 0.5),8:F1} {Percentile(Latencies, 0.95),8:F1} {Failed,7}";

    /// <summary>The run with the median images/s (its latencies with it, so the line is one run's).</summary>
    public static Figures Median(IReadOnlyList<Figures> runs) => runs.OrderBy(run => run.ImagesPerSecond).ElementAt(runs.Count / 2);

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }
}

public sealed record SwapFigures(
    int Answers, int Failed, IReadOnlyList<string> FailureSamples, int Mismatched, int FromOld, int FromNew,
    double FirstNewAfterMs, double LastOldAfterMs, double P95BeforeMs, double P95DuringMs, int OldVersion, int NewVersion)
{
    public override string ToString() =>
        $"swap under load: {Answers} answers, {Failed} failed{(FailureSamples.Count > 0 ? $" ({string.Join("; ", FailureSamples)})" : "")}, " +
        $"{Mismatched} naming a model id that is not their version's; {FromOld} from version {OldVersion}, {FromNew} from version {NewVersion}\n" +
        $"  first answer from version {NewVersion} {FirstNewAfterMs:F0} ms after the promotion was published (load beside the old + swap), " +
        $"last from version {OldVersion} {LastOldAfterMs:F0} ms after; p95 latency {P95BeforeMs:F1} ms before, {P95DuringMs:F1} ms while loading";
}
