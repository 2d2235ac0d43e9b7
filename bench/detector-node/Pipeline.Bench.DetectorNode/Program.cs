using System.Diagnostics;
using Pipeline.Bench.DetectorNode;
using Pipeline.DetectorNode.Tests;

// The detector node's benchmark: a shapes model trained here, the node run in-process on a loopback port exactly as its
// Program.cs runs it (real RabbitMQ for the promotion), and loopback clients. Prints requests/s and p50/p95 latency for
// single images and batches of 16 against the same detections called in-process (decode + inference, no HTTP) in
// the same run, then a model swap under load: failed requests and the version each answer names.
// dotnet run -c Release --project bench/detector-node/Pipeline.Bench.DetectorNode -- [--clients 4] [--seconds 15] ...

var options = BenchOptions.Parse(args);
Console.WriteLine($"detector-node bench: {options}");
Console.WriteLine($"{Environment.ProcessorCount} cores; RabbitMQ {Environment.GetEnvironmentVariable("PIPELINE_RABBITMQ_HOST") ?? "127.0.0.1"}");

var watch = Stopwatch.StartNew();
using var models = new ShapesModels(options.Iterations, options.Size, options.Width, testImages: 64);
Console.WriteLine($"model: {options.Iterations} iterations at {options.Size} px, width {options.Width}, trained in {watch.Elapsed.TotalSeconds:F1} s");
await using var statusApi = await StatusApiStandIn.StartAsync();
var (organization, project) = ("bench", $"shapes-{Guid.NewGuid():N}");
var first = models.Register(organization, project, 1);
var second = models.Register(organization, project, 2);
statusApi.Add(first, makeCurrent: true);
statusApi.Add(second, makeCurrent: false);
var images = models.TestImages.Select(File.ReadAllBytes).ToList();

await using var node = await NodeHost.StartAsync(models.StoreRoot, statusApi.Address, organization, project, new Dictionary<string, string?>
{
    ["DetectorNode:MinConfidence"] = "0.3",
    ["DetectorNode:Threads"] = options.Threads.ToString(),
    ["Logging:LogLevel:Default"] = "Warning",
    ["Serilog:MinimumLevel:Default"] = "Warning",
});
await node.WaitUntilServingAsync(1);
var load = new LoadRun(node, images, options);

// In turns, so that whatever else the machine runs weighs on both sides alike: in-process then HTTP, then HTTP first.
var runs = new Dictionary<string, List<Figures>>();
Console.WriteLine();
Console.WriteLine($"{"",-34} {"req/s",8} {"images/s",9} {"p50 ms",8} {"p95 ms",8} {"failed",7}");
for (var round = 1; round <= options.Rounds; round++)
{
    foreach (var batchSize in new[] { 1, 16 })
    {
        var modes = round % 2 == 1 ? new[] { "in-process", "HTTP" } : ["HTTP", "in-process"];
        foreach (var mode in modes)
        {
            var figures = mode == "HTTP" ? await load.HttpAsync(batchSize) : await load.InProcessAsync(batchSize);
            var name = $"{mode}, {batchSize} image{(batchSize == 1 ? "" : "s")}";
            (runs.TryGetValue(name, out var list) ? list : runs[name] = []).Add(figures);
            Console.WriteLine(figures.Line($"round {round}: {name}"));
        }
    }
}

Console.WriteLine();
Console.WriteLine($"medians of {options.Rounds} rounds, {options.Clients} concurrent clients, {options.Seconds} s each:");
foreach (var (name, list) in runs)
{
    Console.WriteLine(Figures.Median(list).Line(name));
}

double Images(string name) => Figures.Median(runs[name]).ImagesPerSecond;
Console.WriteLine($"ratios: HTTP / in-process images/s: single {Images("HTTP, 1 image") / Images("in-process, 1 image"):F2}, " +
                  $"batch of 16 {Images("HTTP, 16 images") / Images("in-process, 16 images"):F2}; " +
                  $"batch of 16 / single images/s over HTTP {Images("HTTP, 16 images") / Images("HTTP, 1 image"):F2}");

Console.WriteLine();
var swap = await load.SwapAsync(() => node.PublishAsync(ShapesModels.Promotion(second)), first, second);
Console.WriteLine(swap);
Console.WriteLine($"outbox: {node.Outbox.Count} uncertain images waiting, {models.Store.List($"inbox/{organization}/{project}").Count(k => k.EndsWith("/detections.json"))} in the inbox");
return swap.Failed == 0 && swap.Mismatched == 0 ? 0 : 1;
