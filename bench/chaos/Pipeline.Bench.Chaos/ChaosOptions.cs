using System.Globalization;

namespace Pipeline.Bench.Chaos;

/// <summary>The command line of the chaos benchmark.</summary>
public sealed class ChaosOptions
{
    public const string Usage = """
        Pipeline.Bench.Chaos: every service as processes (Orchestrator, Downloader, Uploader, two real Trainers, two real
        Detectors) on a RabbitMQ node and a PostgreSQL cluster of the run's own, trainings begun before each fault, and
        faults injected on a seeded schedule; then the ledger.

          --trainings N        trainings begun at the start (default 6); two more are begun before each fault
          --seed N             order of the faults (default 1)
          --iterations N       iterations of each (real) training (default 30)
          --pg-outage SECONDS  how long PostgreSQL stays stopped (default 60)
          --stage-timeout S    every stage's silence timeout; the Orchestrator outage and the Trainer's hang last this
                               + 10 s (default 20)
          --grace SECONDS      how long a SIGTERMed worker is given before SIGKILL, as 'pipeline down' (default 60)
          --deadline SECONDS   bound on the whole run after the last fault (default 600)
          --broker-outage S    how long the SIGKILLed RabbitMQ node stays down before it is started again (default 2)
        """;

    public int Trainings { get; private set; } = 6;
    public int Seed { get; private set; } = 1;
    public int Iterations { get; private set; } = 30;
    public TimeSpan PostgresOutage { get; private set; } = TimeSpan.FromSeconds(60);
    public TimeSpan StageTimeout { get; private set; } = TimeSpan.FromSeconds(20);
    public TimeSpan Grace { get; private set; } = TimeSpan.FromSeconds(60);
    public TimeSpan Deadline { get; private set; } = TimeSpan.FromSeconds(600);
    public TimeSpan BrokerOutage { get; private set; } = TimeSpan.FromSeconds(2);

    public static ChaosOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ChaosOptions();
        for (var i = 0; i < args.Count; i++)
        {
            int Next() => i + 1 < args.Count ? int.Parse(args[++i], CultureInfo.InvariantCulture) : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--trainings": options.Trainings = Next(); break;
                case "--seed": options.Seed = Next(); break;
                case "--iterations": options.Iterations = Next(); break;
                case "--pg-outage": options.PostgresOutage = TimeSpan.FromSeconds(Next()); break;
                case "--stage-timeout": options.StageTimeout = TimeSpan.FromSeconds(Next()); break;
                case "--grace": options.Grace = TimeSpan.FromSeconds(Next()); break;
                case "--deadline": options.Deadline = TimeSpan.FromSeconds(Next()); break;
                case "--broker-outage": options.BrokerOutage = TimeSpan.FromSeconds(Next()); break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.\n{Usage}");
            }
        }

        return options;
    }
}
