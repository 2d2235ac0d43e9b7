using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pipeline.Contracts;
using Pipeline.Datasets;
using Pipeline.Vision;
using Pipeline.Vision.Models;
using Pipeline.Vision.Training;

// The Trainer's data loading: trains on generated shapes datasets of growing size, each run in a process of its own,
// and prints each run's peak resident memory and median step time. The baseline is the loader as it was: every
// training image held decoded (an unbounded budget, timed once all are decoded); the streaming runs hold what
// Trainer:DecodedImageBudgetMiB allows and decode the next batches ahead.
// dotnet run -c Release --project bench/loader/Pipeline.Bench.Loader -- [--sizes 1000,5000,20000] [--resolution 256] [--steps 40]

if (args.Length > 0 && args[0] == "--child")
{
    return Child.Run(args);
}

var sizes = Option("--sizes", "1000,5000,20000").Split(',').Select(int.Parse).ToArray();
var resolution = int.Parse(Option("--resolution", "256"), CultureInfo.InvariantCulture);
var steps = int.Parse(Option("--steps", "40"), CultureInfo.InvariantCulture);
var batch = int.Parse(Option("--batch", "16"), CultureInfo.InvariantCulture);
var budgetMiB = int.Parse(Option("--budget-mib", "256"), CultureInfo.InvariantCulture);
var smallBudgetMiB = int.Parse(Option("--small-budget-mib", "64"), CultureInfo.InvariantCulture);
var folder = Option("--data", Path.Combine(Path.GetTempPath(), "pipeline-bench-loader"));
var pairs = int.Parse(Option("--pairs", "3"), CultureInfo.InvariantCulture);
var commandLine = "dotnet run -c Release --project bench/loader/Pipeline.Bench.Loader" + (args.Length > 0 ? " -- " + string.Join(' ', args) : "");
Console.WriteLine(commandLine);
Console.WriteLine($"{Environment.ProcessorCount} cores; {resolution} px, batch {batch}, {steps} timed steps per run; datasets in {folder}");

var manifests = new Dictionary<int, string>();
foreach (var size in sizes)
{
    manifests[size] = Generated(size);
}

var runs = new List<(string Name, Child.Result Result)>();
// The first epoch decodes every image once whatever the budget: the timed steps come after it.
var skip = (int)Math.Ceiling((double)sizes.Min() / batch) + 2;
var first = sizes.Min();
// Step times drift by tens of percent between runs on a shared machine: the loaders are compared in pairs, in turns.
var ratios = new List<double>();
var streamingRatios = new List<double>();
for (var pair = 0; pair < pairs; pair++)
{
    var held = Run(manifests[first], long.MaxValue, skip);
    var atDefault = Run(manifests[first], (long)budgetMiB << 20, skip);
    var small = Run(manifests[first], (long)smallBudgetMiB << 20, skip);
    runs.Add(($"{first} images, all held (the old loader), pair {pair + 1}", held));
    runs.Add(($"{first} images, {budgetMiB} MiB budget (the default), pair {pair + 1}", atDefault));
    runs.Add(($"{first} images, {smallBudgetMiB} MiB budget (decoding every step), pair {pair + 1}", small));
    ratios.Add(held.StepP50Ms / atDefault.StepP50Ms);
    streamingRatios.Add(held.StepP50Ms / small.StepP50Ms);
}

var bySize = sizes.Select(size => (size, Result: size == first ? runs[1].Result : Run(manifests[size], (long)budgetMiB << 20, skip))).ToList();
foreach (var (size, result) in bySize.Where(s => s.size != first))
{
    runs.Add(($"{size} images, {budgetMiB} MiB budget (the default)", result));
}

Console.WriteLine();
Console.WriteLine(new string('=', 110));
foreach (var (name, result) in runs)
{
    Console.WriteLine($"{name,-58} peak RSS {result.PeakRssMiB,6:F0} MiB, step p50 {result.StepP50Ms,6:F1} ms, p90 {result.StepP90Ms,6:F1} ms, {result.Held} held");
}

Console.WriteLine(new string('-', 110));
var speed = ratios.Order().ElementAt(ratios.Count / 2);
var streamingSpeed = streamingRatios.Order().ElementAt(streamingRatios.Count / 2);
var memory = bySize[^1].Result.PeakRssMiB / bySize[0].Result.PeakRssMiB;
Console.WriteLine($"Step time, all held ÷ the default budget on {first} images, median of {pairs} pairs: {speed:F2}x (aim >= 0.95: {(speed >= 0.95 ? "met" : "MISSED")})");
Console.WriteLine($"Step time, all held ÷ a {smallBudgetMiB} MiB budget (every step decodes its batch), median: {streamingSpeed:F2}x");
Console.WriteLine($"Peak RSS, {sizes.Max()} ÷ {first} images at the default budget: {memory:F2}x (aim <= 1.2: {(memory <= 1.2 ? "met" : "MISSED")})");
Console.WriteLine(new string('=', 110));
Console.WriteLine(commandLine);
return 0;

string Option(string name, string fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

// Generated once per size and kept: writing 20,000 images takes longer than the runs.
string Generated(int size)
{
    var target = Path.Combine(folder, $"{size}-{resolution}");
    var manifest = Path.Combine(target, "manifest.json");
    if (!File.Exists(manifest))
    {
        var watch = Stopwatch.StartNew();
        if (Directory.Exists(target))
        {
            Directory.Delete(target, recursive: true);
        }

        ShapesDataset.Generate(target, new ShapesDatasetOptions
        {
            Seed = 1, TrainImages = size, TestImages = 8, Size = resolution, MinShapeSize = resolution / 16, MaxShapeSize = resolution / 4,
        });
        Console.WriteLine($"generated {size} images at {resolution} px in {watch.Elapsed.TotalSeconds:F0} s");
    }

    return manifest;
}

Child.Result Run(string manifest, long budget, int skipSteps)
{
    var self = typeof(Child).Assembly.Location;
    var start = new ProcessStartInfo("dotnet", [self, "--child", manifest, budget.ToString(CultureInfo.InvariantCulture),
        (skipSteps + steps).ToString(CultureInfo.InvariantCulture), skipSteps.ToString(CultureInfo.InvariantCulture),
        batch.ToString(CultureInfo.InvariantCulture), resolution.ToString(CultureInfo.InvariantCulture)])
    {
        RedirectStandardOutput = true,
    };
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
    return process.ExitCode == 0 && last.StartsWith('{')
        ? JsonSerializer.Deserialize<Child.Result>(last)!
        : throw new InvalidOperationException($"The run on {manifest} failed ({process.ExitCode}): {output}");
}

/// <summary>One training in a process of its own, so its peak resident memory is its own.</summary>
internal static class Child
{
    public sealed record Result(double PeakRssMiB, double StepP50Ms, double StepP90Ms, int Held);

    public static int Run(string[] args)
    {
        var (manifest, budget, iterations, skip, batch, resolution) =
            (args[1], long.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture),
             int.Parse(args[4], CultureInfo.InvariantCulture), int.Parse(args[5], CultureInfo.InvariantCulture), int.Parse(args[6], CultureInfo.InvariantCulture));
        DecodedImages.BudgetBytes = budget;
        var dataset = DatasetLoader.Load(manifest);
        var hyperparameters = new Hyperparameters { Iterations = iterations, BatchSize = batch, LearningRate = 3e-3, Resolution = resolution, FlipRl = true };
        var durations = new List<double>();
        using var trainer = new DetectorTrainer(dataset, hyperparameters, TorchDevice.Select("cpu"), options: new TrainingOptions { ModelWidth = 8 });
        foreach (var step in trainer.Iterate())
        {
            if (step.Iteration > skip)
            {
                durations.Add(step.Duration.TotalMilliseconds);
            }
        }

        durations.Sort();
        var peak = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var peakMiB = double.Parse(peak.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        Console.WriteLine(JsonSerializer.Serialize(new Result(peakMiB, durations[durations.Count / 2], durations[(int)(durations.Count * 0.9)], trainer.DecodedHeld)));
        return 0;
    }
}
