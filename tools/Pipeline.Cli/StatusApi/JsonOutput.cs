using System.Text.Json;
using Spectre.Console;

namespace Pipeline.Cli.StatusApi;

/// <summary>
/// What a read command prints with --json: the value in the status API's own JSON (its names, enums and times), written
/// straight to the output so that no console width wraps it.
/// </summary>
public static class JsonOutput
{
    private static readonly JsonSerializerOptions Indented = new(StatusApiClient.Json) { WriteIndented = true };

    public static int Write<T>(IAnsiConsole console, T value)
    {
        console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(value, Indented));
        return ExitCodes.Ok;
    }
}
