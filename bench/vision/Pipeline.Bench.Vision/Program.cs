using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Pipeline.Datasets;
using Pipeline.Vision;
using Pipeline.Vision.Models;
using Pipeline.Vision.Training;
using TorchSharp;
using static TorchSharp.torch;

// The vision benchmark: trains the detector on the generated shapes dataset and reports wall time, mAP@0.5,
// resident memory after 200 and N iterations, then times one training step and detection in TorchSharp
// against the same architecture in PyTorch (bench/vision/centernet.py) on the same batch and thread count.
// dotnet run -c Release --project bench/vision/Pipeline.Bench.Vision -- [--quick] [--iterations N] ...

var options = BenchOptions.Parse(args);
if (options.Python is { } baseline && !PyTorchBaseline.EnsureAvailable(baseline))
{
    return 2;
}

TorchDevice.SetThreads(options.Threads);
var device = TorchDevice.Select(options.Device);
Console.WriteLine($"vision bench: {options}");
Console.WriteLine($"device {device.type}, libtorch threads {torch.get_num_threads()}, {Environment.ProcessorCount} cores");

// 1. Dataset.
var watch = Stopwatch.StartNew();
if (Directory.Exists(options.DataDirectory))
{
    Directory.Delete(options.DataDirectory, recursive: true);
}

var dataset = ShapesDataset.Generate(options.DataDirectory, new ShapesDatasetOptions
{
    Seed = options.Seed, TrainImages = options.TrainImages, TestImages = options.TestImages, Size = options.Resolution,
});
Console.WriteLine($"dataset: {dataset.Train.Count} train + {dataset.Test.Count} test images at {options.Resolution}px, " +
                  $"{dataset.Images.Sum(i => i.Annotations.Count)} objects, generated in {watch.Elapsed.TotalSeconds:F1}s -> {options.DataDirectory}");

// 2. Training, evaluated every EvalEvery iterations (evaluation time is not training time).
var hp = new Hyperparameters
{
    Iterations = options.Iterations, BatchSize = options.Batch, LearningRate = options.LearningRate, Resolution = options.Resolution,
    FlipRl = true, FlipUd = false,
};
var training = new TrainingOptions { ModelWidth = options.Width, Seed = options.Seed };
double trainSeconds = 0, rssAt200 = 0, rssAtEnd = 0, finalMap = 0;
double? secondsToTarget = null;
var losses = new List<double>();
using (var trainer = new DetectorTrainer(dataset, hp, device, options: training))
{
    var stepWatch = new Stopwatch();
    stepWatch.Start();
    foreach (var step in trainer.Iterate())
    {
        losses.Add(step.Loss);
        if (options.Verbose)
        {
            Console.WriteLine($"    step {step.Iteration} {step.Duration.TotalMilliseconds:F0} ms loss {step.Loss:F3}");
        }

        if (step.Iteration == 200 || step.Iteration == hp.Iterations || (options.MemoryEvery > 0 && step.Iteration % options.MemoryEvery == 0))
        {
            var memory = Memory.Read();
            Console.WriteLine($"  memory at {step.Iteration,5}: {memory}");
            if (step.Iteration == 200)
            {
                rssAt200 = memory.ResidentMiB;
            }

            if (step.Iteration == hp.Iterations)
            {
                rssAtEnd = memory.ResidentMiB;
            }
        }
        var evaluate = step.Iteration % options.EvalEvery == 0 || step.Iteration == hp.Iterations;
        if (!evaluate)
        {
            continue;
        }

        stepWatch.Stop();
        trainSeconds = stepWatch.Elapsed.TotalSeconds;
        var metrics = trainer.Evaluate();
        finalMap = metrics.MeanAveragePrecision;
        if (secondsToTarget is null && metrics.MeanAveragePrecision >= options.TargetMap)
        {
            secondsToTarget = trainSeconds;
        }

        Console.WriteLine(
            $"  iteration {step.Iteration,5}  train {trainSeconds,6:F1}s  loss {losses.TakeLast(50).Average(),6:F3}  mAP@0.5 {metrics.MeanAveragePrecision:F3}  " +
            $"tp {metrics.TruePositives} fp {metrics.FalsePositives} fn {metrics.FalseNegatives}  " +
            string.Join(" ", metrics.Categories.Select(c => $"{c.CategoryName}:{c.AveragePrecision:F2}")));
        stepWatch.Start();
    }
    trainer.Model.Metrics = trainer.Evaluate().ToTrainingMetrics(trainer.Iteration, losses.TakeLast(50).Average());
    trainer.Model.Save(Path.Combine(options.DataDirectory, "model"));
}

// 3. Step and detection timing on one fixed batch, TorchSharp and PyTorch taking turns (this machine is shared).
var batchDirectory = Path.Combine(options.DataDirectory, "batch");
WriteBatch(dataset, hp, training, batchDirectory);
var torchSharpRuns = new List<(double StepMs, double ImagesPerSecond)>();
var pyTorchRuns = new List<(double StepMs, double ImagesPerSecond)>();
for (var round = 0; round < options.Rounds; round++)
{
    torchSharpRuns.Add(TimeTorchSharp(dataset, hp, training, batchDirectory, options, device));
    if (options.Python is { } python)
    {
        pyTorchRuns.Add(TimePyTorch(python, batchDirectory, options));
    }
}

// 4. Report.
var ts = (StepMs: torchSharpRuns.Min(r => r.StepMs), ImagesPerSecond: torchSharpRuns.Max(r => r.ImagesPerSecond));
Console.WriteLine();
Console.WriteLine("result");
Console.WriteLine($"  train wall time           {trainSeconds:F1} s for {hp.Iterations} iterations (batch {hp.BatchSize}, {options.Resolution}px, width {options.Width})");
Console.WriteLine($"  mAP@0.5 reached           {finalMap:F3}" + (secondsToTarget is { } t ? $" (>= {options.TargetMap} after {t:F1} s)" : $" (never >= {options.TargetMap})"));
Console.WriteLine($"  loss first/last 50        {losses.Take(50).Average():F3} / {losses.TakeLast(50).Average():F3}");
Console.WriteLine($"  TorchSharp step           {ts.StepMs:F1} ms   (per round: {string.Join(", ", torchSharpRuns.Select(r => r.StepMs.ToString("F1", CultureInfo.InvariantCulture)))})");
if (pyTorchRuns.Count > 0)
{
    var py = (StepMs: pyTorchRuns.Min(r => r.StepMs), ImagesPerSecond: pyTorchRuns.Max(r => r.ImagesPerSecond));
    Console.WriteLine($"  PyTorch step              {py.StepMs:F1} ms   (per round: {string.Join(", ", pyTorchRuns.Select(r => r.StepMs.ToString("F1", CultureInfo.InvariantCulture)))})");
    Console.WriteLine($"  step ratio TS/PT          {ts.StepMs / py.StepMs:F2}x");
    Console.WriteLine($"  TorchSharp detect         {ts.ImagesPerSecond:F0} images/s");
    Console.WriteLine($"  PyTorch detect            {py.ImagesPerSecond:F0} images/s");
    Console.WriteLine($"  detect time ratio TS/PT   {py.ImagesPerSecond / ts.ImagesPerSecond:F2}x");
}
else
{
    Console.WriteLine($"  TorchSharp detect         {ts.ImagesPerSecond:F0} images/s   (PyTorch side skipped)");
}

if (rssAt200 > 0)
{
    Console.WriteLine($"  resident memory           {rssAt200:F0} MiB after 200, {rssAtEnd:F0} MiB after {hp.Iterations} iterations (evaluations every {options.EvalEvery} included): growth {100 * (rssAtEnd - rssAt200) / rssAt200:F1}%");
}

return 0;


static void WriteBatch(VisionDataset dataset, Hyperparameters hp, TrainingOptions training, string directory)
{
    Directory.CreateDirectory(directory);
    var layout = new CategoryLayout(dataset.Categories);
    var builder = new BatchBuilder(dataset.Train, layout, hp, training.Seed);
    using var scope = NewDisposeScope();
    var (input, targets) = builder.Build(0, CPU);
    void Write(string name, Tensor tensor)
    {
        var bytes = tensor.dtype == ScalarType.Int64
            ? MemoryMarshal.AsBytes(tensor.contiguous().data<long>().ToArray().AsSpan()).ToArray()
            : MemoryMarshal.AsBytes(tensor.contiguous().data<float>().ToArray().AsSpan()).ToArray();
        File.WriteAllBytes(Path.Combine(directory, name), bytes);
    }
    Write("input.f32", input);
    Write("heatmap.f32", targets.Heatmap);
    Write("indices.i64", targets.Indices);
    Write("mask.f32", targets.Mask);
    Write("boxmask.f32", targets.BoxMask);
    Write("size.f32", targets.Size);
    Write("offset.f32", targets.Offset);
    Write("classes.f32", targets.Classes);
    File.WriteAllText(Path.Combine(directory, "batch.json"), JsonSerializer.Serialize(new
    {
        batch = hp.BatchSize, resolution = hp.Resolution, width = training.ModelWidth, learningRate = hp.LearningRate,
        spatial = layout.Spatial.Count, classification = layout.Classification.Count,
        heatmapChannels = targets.Heatmap.shape[1], classes = targets.Classes.shape[1], maxObjects = CenterNetEncoder.MaxObjects,
    }));
}

static (double StepMs, double ImagesPerSecond) TimeTorchSharp(VisionDataset dataset, Hyperparameters hp, TrainingOptions training, string directory, BenchOptions options, Device device)
{
    using var model = DetectorModel.Create(dataset.Categories, training.ModelWidth, hp.Resolution, device, training.Seed);
    using var optimizer = new AdamOptimizer(model.Network.parameters().ToList(), hp.LearningRate);
    var builder = new BatchBuilder(dataset.Train, model.Layout, hp, training.Seed);
    var (input, targets) = builder.Build(0, device);
    var hasClasses = model.Layout.Classification.Count > 0;
    model.Network.train();
    var times = new List<double>();
    for (var i = 0; i < options.WarmupSteps + options.TimedSteps; i++)
    {
        var watch = Stopwatch.StartNew();
        using (var scope = NewDisposeScope())
        {
            var output = model.Network.forward(input);
            var loss = CenterNetLoss.Compute(output, targets, hasClasses);
            optimizer.ZeroGrad();
            loss.Total.backward();
            optimizer.Step();
            _ = loss.Total.item<float>();
        }
        if (i >= options.WarmupSteps)
        {
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
    }
    model.Network.eval();
    var sizes = Enumerable.Repeat((hp.Resolution, hp.Resolution), hp.BatchSize).ToList();
    var detectWatch = new Stopwatch();
    for (var i = 0; i < options.WarmupSteps + options.TimedSteps; i++)
    {
        if (i == options.WarmupSteps)
        {
            detectWatch.Start();
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var output = model.Network.forward(input);
        _ = CenterNetDecoder.Decode(output, model.Layout, sizes, hp.Resolution, 0.3f);
    }
    input.Dispose();
    return (Median(times), options.TimedSteps * hp.BatchSize / detectWatch.Elapsed.TotalSeconds);
}

static (double StepMs, double ImagesPerSecond) TimePyTorch(string python, string directory, BenchOptions options)
{
    var script = Path.Combine(AppContext.BaseDirectory, "centernet.py");
    var start = new ProcessStartInfo(python, [script, directory, "--threads", options.Threads.ToString(CultureInfo.InvariantCulture),
        "--warmup", options.WarmupSteps.ToString(CultureInfo.InvariantCulture), "--steps", options.TimedSteps.ToString(CultureInfo.InvariantCulture)])
    {
        RedirectStandardOutput = true, RedirectStandardError = true,
    };
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEnd();
    var error = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{python} {script} failed ({process.ExitCode}): {error}");
    }

    using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
    return (json.RootElement.GetProperty("step_ms").GetDouble(), json.RootElement.GetProperty("detect_images_per_s").GetDouble());
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

internal sealed record BenchOptions
{
    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "pipeline-vision-bench");
    public int TrainImages { get; init; } = 500;
    public int TestImages { get; init; } = 100;
    public int Iterations { get; init; } = 2000;
    public int Batch { get; init; } = 16;
    public int Width { get; init; } = 16;
    public int Resolution { get; init; } = 128;
    public double LearningRate { get; init; } = 2e-3;
    public int Threads { get; init; } = 2;
    public int EvalEvery { get; init; } = 500;
    public double TargetMap { get; init; } = 0.9;
    public int WarmupSteps { get; init; } = 10;
    public int TimedSteps { get; init; } = 40;
    public int Rounds { get; init; } = 3;
    public int Seed { get; init; } = 1;
    public string Device { get; init; } = "auto";
    public string? Python { get; init; } = "/usr/bin/python3";
    public bool Verbose { get; init; }
    public int MemoryEvery { get; init; } = 500;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--quick" => o with { TrainImages = 200, TestImages = 50, Iterations = 400, EvalEvery = 200, TimedSteps = 15, WarmupSteps = 5, Rounds = 1 },
                "--data" => o with { DataDirectory = Next() },
                "--train-images" => o with { TrainImages = Int() },
                "--test-images" => o with { TestImages = Int() },
                "--iterations" => o with { Iterations = Int() },
                "--batch" => o with { Batch = Int() },
                "--width" => o with { Width = Int() },
                "--resolution" => o with { Resolution = Int() },
                "--lr" => o with { LearningRate = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--threads" => o with { Threads = Int() },
                "--eval-every" => o with { EvalEvery = Int() },
                "--steps" => o with { TimedSteps = Int() },
                "--warmup" => o with { WarmupSteps = Int() },
                "--rounds" => o with { Rounds = Int() },
                "--seed" => o with { Seed = Int() },
                "--device" => o with { Device = Next() },
                "--python" => o with { Python = Next() },
                "--no-python" => o with { Python = null },
                "--verbose" => o with { Verbose = true },
                "--memory-every" => o with { MemoryEvery = Int() },
                _ => throw new ArgumentException($"unknown option {args[i]}; see bench/vision/README.md"),
            };
        }
        return o;
    }
}

/// <summary>
/// Resident memory read after a full blocking GC and the finalisers it queued, so garbage still awaiting collection
/// is not counted; with the managed heap and libtorch's live tensors beside it, to show which side grows.
/// </summary>
internal readonly record struct Memory(double RawResidentMiB, double ResidentMiB, double ManagedMiB, double CommittedMiB, long LiveTensors, string Malloc)
{
    public static Memory Read()
    {
        var raw = Resident();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var managed = GC.GetTotalMemory(forceFullCollection: false) / 1048576.0;
        var committed = GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes / 1048576.0;
        return new Memory(raw, Resident(), managed, committed, DisposeScopeManager.Statistics.ThreadTotalLiveCount, MallocSummary());
    }

    private static double Resident()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    public override string ToString() =>
        $"resident {ResidentMiB:F0} MiB (before GC {RawResidentMiB:F0}), managed heap {ManagedMiB:F1} MiB (committed {CommittedMiB:F1}), live tensors {LiveTensors}, {Malloc}";

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, OrdBlks, SmBlks, HBlks, HBlkHd, UsmBlks, FsmBlks, UordBlks, FordBlks, KeepCost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 MallInfo();

    private static string MallocSummary()
    {
        try
        {
            var m = MallInfo();
            static string MiB(nuint bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);
            return $"malloc: arenas {MiB(m.Arena)} MiB (in use {MiB(m.UordBlks)}, free {MiB(m.FordBlks)}), mmapped {MiB(m.HBlkHd)} MiB in {m.HBlks}";
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return "malloc: n/a";
        }
    }
}
