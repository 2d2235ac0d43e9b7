using System.Diagnostics;

namespace Pipeline.Bench.Orchestration.Measuring;

/// <summary>
/// CPU time over a phase: the whole machine (/proc/stat), this process (the Orchestrator, the instant workers, the
/// client), and the RabbitMQ and PostgreSQL servers (by process name, so other users of the same servers count too).
/// </summary>
public sealed class CpuSampler
{
    private static readonly double TicksPerSecond = 100; // USER_HZ, 100 on every Linux the pipeline runs on.

    public readonly record struct Sample(long Timestamp, double MachineBusy, double MachineTotal, double Process, double Broker, double Database);

    public readonly record struct Usage(double WallSeconds, double MachineCores, double MachinePercent, double ProcessCores, double BrokerCores, double DatabaseCores);

    public static Sample Take()
    {
        var (busy, total) = MachineTicks();
        var (broker, database) = ServerTicks();
        return new Sample(Stopwatch.GetTimestamp(), busy / TicksPerSecond, total / TicksPerSecond,
            Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, broker / TicksPerSecond, database / TicksPerSecond);
    }

    public static Usage Between(Sample start, Sample end)
    {
        var wall = Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalSeconds;
        var busy = end.MachineBusy - start.MachineBusy;
        var total = end.MachineTotal - start.MachineTotal;
        return new Usage(wall, busy / wall, total > 0 ? 100 * busy / total : 0,
            (end.Process - start.Process) / wall, (end.Broker - start.Broker) / wall, (end.Database - start.Database) / wall);
    }

    private static (double Busy, double Total) MachineTicks()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(double.Parse).ToArray();
            var idle = cpu[3] + (cpu.Length > 4 ? cpu[4] : 0);
            var total = cpu.Take(8).Sum();
            return (total - idle, total);
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }

    private static (double Broker, double Database) ServerTicks()
    {
        double broker = 0, database = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out _))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var open = stat.IndexOf('(');
                var close = stat.LastIndexOf(')');
                var name = stat[(open + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
                var ticks = double.Parse(fields[11]) + double.Parse(fields[12]);
                if (name.StartsWith("beam", StringComparison.Ordinal) || name is "erl_child_setup" or "epmd")
                {
                    broker += ticks;
                }
                else if (name.StartsWith("postgres", StringComparison.Ordinal) || name.StartsWith("postmaster", StringComparison.Ordinal))
                {
                    database += ticks;
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
            {
                // A process that ended while we read it.
            }
        }

        return (broker, database);
    }
}
