using System.Globalization;

namespace Pipeline.Bench.Orchestration;

/// <summary>The command line: what to run and how much of it; <c>--set Key=Value</c> overrides the Orchestrator's settings.</summary>
public sealed class BenchOptions
{
    public const string Usage = """
        Pipeline.Bench.Orchestration: drives trainings through every state of the Orchestrator's saga on the real
        RabbitMQ and PostgreSQL, every stage answered at once, beside the raw MassTransit round trip on the same broker.

          --trainings N           trainings in the load run (default 500)
          --concurrency N         trainings in flight during the load run (default: all at once)
          --sequential N          trainings one at a time in the warm sequential run (default 50; 0 skips it)
          --warmup N              trainings and x10 pings run first and thrown away (default 10)
          --pings N               sequential ping round trips (default 1000)
          --load-pings N          ping round trips under load, as many in flight as --concurrency (default 20000)
          --detection-images N    DetectionImageCount reported by the instant downloader (default 32: 2 batches of 16)
          --base-model-share X    share of trainings that continue a base model, 0..1 (default 0)
          --set Key=Value         override an Orchestrator setting, e.g. --set Endpoints:training-state:ConcurrentMessageLimit=32
          --timeout SECONDS       bound on each run (default 600)
          --rounds N              runs of each outbox mode, on and off alternating, compared by their medians (default 1;
                                  --set Outbox:Enabled=... runs that mode only)
          --keep-schema           leave the PostgreSQL schema behind (the virtual host is always deleted)
        """;

    public int Trainings { get; private set; } = 500;
    public int? Concurrency { get; private set; }
    public int Sequential { get; private set; } = 50;
    public int Warmup { get; private set; } = 10;
    public int Pings { get; private set; } = 1000;
    public int LoadPings { get; private set; } = 20000;
    public int DetectionImages { get; private set; } = 32;
    public double BaseModelShare { get; private set; }
    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(600);
    public bool KeepSchema { get; private set; }
    public int Rounds { get; private set; } = 1;
    public Dictionary<string, string?> Overrides { get; } = [];

    /// <summary>How many trainings the load run keeps in flight.</summary>
    public int InFlight => Math.Clamp(Concurrency ?? Trainings, 1, Math.Max(1, Trainings));

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--trainings": options.Trainings = NextInt(); break;
                case "--concurrency": options.Concurrency = NextInt(); break;
                case "--sequential": options.Sequential = NextInt(); break;
                case "--warmup": options.Warmup = NextInt(); break;
                case "--pings": options.Pings = NextInt(); break;
                case "--load-pings": options.LoadPings = NextInt(); break;
                case "--detection-images": options.DetectionImages = NextInt(); break;
                case "--base-model-share": options.BaseModelShare = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--timeout": options.Timeout = TimeSpan.FromSeconds(NextInt()); break;
                case "--keep-schema": options.KeepSchema = true; break;
                case "--rounds": options.Rounds = NextInt(); break;
                case "--set":
                    var pair = Next().Split('=', 2);
                    if (pair.Length != 2)
                    {
                        throw new ArgumentException("--set takes Key=Value, e.g. Endpoints:training-state:PrefetchCount=64.");
                    }

                    options.Overrides[pair[0]] = pair[1];
                    break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }

        if (options.Trainings < 1 || options.DetectionImages < 0 || options.BaseModelShare is < 0 or > 1 || options.Rounds < 1)
        {
            throw new ArgumentException("--trainings and --rounds must be at least 1, --detection-images at least 0, --base-model-share within 0..1.");
        }

        return options;
    }
}
