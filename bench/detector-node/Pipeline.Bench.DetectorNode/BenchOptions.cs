using System.Globalization;

namespace Pipeline.Bench.DetectorNode;

public sealed record BenchOptions
{
    public int Clients { get; init; } = 4;
    public double Seconds { get; init; } = 15;
    public double WarmupSeconds { get; init; } = 3;
    public int Iterations { get; init; } = 40;
    public int Rounds { get; init; } = 3;
    public int Size { get; init; } = 128;
    public int Width { get; init; } = 16;
    public int Threads { get; init; }

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--clients" => options with { Clients = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--seconds" => options with { Seconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--warmup" => options with { WarmupSeconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--rounds" => options with { Rounds = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--iterations" => options with { Iterations = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--size" => options with { Size = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--width" => options with { Width = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--threads" => options with { Threads = int.Parse(Next(), CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown option {args[i]}: --clients N --seconds S --rounds N --warmup S --iterations N --size PX --width N --threads N"),
            };
        }

        return options;
    }
}
