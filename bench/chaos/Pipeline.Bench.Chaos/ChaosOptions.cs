using System.Globalization;

namespace Pipeline.Bench.Chaos;

/// <summary>The command line of the chaos benchmark.</summary>
public sealed class ChaosOptions
{
    public const string Usage = """
        Pipeline.Bench.Chaos: the Orchestrator, Downloader and Uploader as processes on a PostgreSQL of the run's own and
        RabbitMQ (a virtual host of its own), training and detection answered by stand-ins in this process, N trainings
        begun at once, and faults injected on a seeded schedule; then the ledger.

          --trainings N        trainings begun (default 50)
          --seed N             order of the faults (default 1)
          --train-seconds N    how long a stand-in training runs, reporting progress each second (default 4)
          --pg-outage SECONDS  how long PostgreSQL stays stopped (default 60)
          --stage-timeout S    every stage's silence timeout; the Orchestrator outage lasts this + 10 s (default 20)
          --deadline SECONDS   bound on the whole run after the last fault (default 600)
          --broker-outage S    how long the SIGKILLed RabbitMQ node stays down before it is started again (default 2)
          --no-broker-kill     leave the RabbitMQ node alone (by default it is SIGKILLed and started again
                               with scripts/infra.sh up: every other user of that broker sees the outage too)
        """;

    public int Trainings { get; private set; } = 50;
    public int Seed { get; private set; } = 1;
    public int TrainSeconds { get; private set; } = 4;
    public TimeSpan PostgresOutage { get; private set; } = TimeSpan.FromSeconds(60);
    public TimeSpan StageTimeout { get; private set; } = TimeSpan.FromSeconds(20);
    public TimeSpan Deadline { get; private set; } = TimeSpan.FromSeconds(600);
    public bool KillBroker { get; private set; } = true;
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
                case "--train-seconds": options.TrainSeconds = Next(); break;
                case "--pg-outage": options.PostgresOutage = TimeSpan.FromSeconds(Next()); break;
                case "--stage-timeout": options.StageTimeout = TimeSpan.FromSeconds(Next()); break;
                case "--deadline": options.Deadline = TimeSpan.FromSeconds(Next()); break;
                case "--broker-outage": options.BrokerOutage = TimeSpan.FromSeconds(Next()); break;
                case "--no-broker-kill": options.KillBroker = false; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.\n{Usage}");
            }
        }

        return options;
    }
}
