using Pipeline.Bench.Orchestration;
using Pipeline.Bench.Orchestration.Measuring;
using Pipeline.Outbox;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception exception) when (exception is ArgumentException or FormatException)
{
    Console.Error.WriteLine(exception.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

var commandLine = "dotnet run -c Release --project bench/orchestration/Pipeline.Bench.Orchestration" +
    (args.Length > 0 ? " -- " + string.Join(' ', args) : "");
Console.WriteLine(commandLine);

// One mode when --set names it; otherwise the outbox on and off in turns (on, off, off, on, ...), so that a machine
// whose speed drifts weighs on both alike.
var pinned = options.Overrides.ContainsKey($"{OutboxSettings.Section}:{nameof(OutboxSettings.Enabled)}");
var runs = new List<RunFigures>();
for (var round = 0; round < options.Rounds; round++)
{
    bool?[] order = pinned ? [null] : round % 2 == 0 ? [true, false] : [false, true];
    foreach (var outbox in order)
    {
        runs.Add(await OrchestrationRun.RunAsync(options, outbox, commandLine));
    }
}

if (!pinned)
{
    var on = runs.Where(run => run.Outbox == "outbox on").ToList();
    var off = runs.Where(run => run.Outbox == "outbox off").ToList();
    double Median(IEnumerable<double> values) => new Percentiles(values).P50;
    var transitionsOn = Median(on.Select(run => run.TransitionsPerSecond));
    var transitionsOff = Median(off.Select(run => run.TransitionsPerSecond));
    var sequentialOn = on.All(run => run.SequentialP50 is not null) ? Median(on.Select(run => run.SequentialP50!.Value)) : (double?)null;
    var sequentialOff = off.All(run => run.SequentialP50 is not null) ? Median(off.Select(run => run.SequentialP50!.Value)) : (double?)null;
    var rows = new (string Name, string Value)[]
    {
        ("Outbox on vs off", $"medians of {options.Rounds} run(s) of each, in turns"),
        ("Saga transitions/s (load)", $"on {transitionsOn:F0}, off {transitionsOff:F0}: on ÷ off {transitionsOn / transitionsOff:F2}"),
        ("Per training, sequential p50", sequentialOn is null ? "skipped" : $"on {sequentialOn:F1} ms, off {sequentialOff:F1} ms: on ÷ off {sequentialOn / sequentialOff:F2}"),
        ("Raw round trip p50", $"on-runs {Median(on.Select(run => run.RawRoundTripP50)):F2} ms, off-runs {Median(off.Select(run => run.RawRoundTripP50)):F2} ms"),
        ("Aim: on >= 0.8 x off transitions/s", transitionsOn >= 0.8 * transitionsOff ? "met" : "MISSED"),
        ("Aim: on < 60 ms p50 per training, sequential", sequentialOn is null ? "?" : sequentialOn < 60 ? "met" : "MISSED"),
    };
    var width = rows.Max(row => row.Name.Length) + 2;
    Console.WriteLine(new string('=', 100));
    foreach (var (name, value) in rows)
    {
        Console.WriteLine($"{name.PadRight(width)}{value}");
    }

    Console.WriteLine(new string('=', 100));
}

return runs.All(run => run.AllCompleted) ? 0 : 1;
