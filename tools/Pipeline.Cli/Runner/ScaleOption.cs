namespace Pipeline.Cli.Runner;

/// <summary>Parses <c>--scale detector=3</c> (repeatable) into replicas per service; every other service runs once.</summary>
public static class ScaleOption
{
    public static IReadOnlyDictionary<string, int> Parse(IEnumerable<string> values)
    {
        var replicas = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values.SelectMany(value => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var parts = value.Split('=', 2);
            if (parts.Length != 2 || PipelineService.Find(parts[0]) is not { } service || !int.TryParse(parts[1], out var count) || count < 0)
            {
                throw new CliException(
                    $"--scale '{value}': use service=count with a service among {string.Join(", ", PipelineService.All.Select(s => s.Name))}.",
                    ExitCodes.Usage);
            }

            if (service.Name == "orchestrator" && count > 1)
            {
                throw new CliException("--scale orchestrator: one Orchestrator serves the status API's port; scale the workers instead.", ExitCodes.Usage);
            }

            replicas[service.Name] = count;
        }

        return replicas;
    }
}
