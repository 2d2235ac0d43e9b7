using System.Security.Cryptography;

namespace Pipeline.Cli.Runner;

/// <summary>
/// The status API's tokens of the pipeline this checkout runs (<c>pipeline up</c>, <c>pipeline demo</c>): generated once
/// into <c>.infra/status-api/</c> (mode 600, ignored by git), handed to the Orchestrator the runner starts, and read by
/// the command line for a status API on this machine, so nobody types one. PIPELINE_API_TOKEN, when set, is the
/// operator's token instead of the generated one.
/// </summary>
public sealed class LocalApiTokens(string repositoryRoot)
{
    public string Folder => Path.Combine(repositoryRoot, ".infra", "status-api");

    public string OperatorFile => Path.Combine(Folder, "operator-token");

    public string ViewerFile => Path.Combine(Folder, "viewer-token");

    /// <summary>The operator's token if it was generated; null before the first <c>pipeline up</c>.</summary>
    public string? ReadOperator() => File.Exists(OperatorFile) ? File.ReadAllText(OperatorFile).Trim() : null;

    /// <summary>Both tokens, generated where missing.</summary>
    public (string Operator, string Viewer) Ensure() => (ReadOrCreate(OperatorFile), ReadOrCreate(ViewerFile));

    private string ReadOrCreate(string file)
    {
        if (File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } existing)
        {
            return existing;
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        // Created with modes 700 and 600 from the start: no moment in which another user could read it.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Folder);
        }
        else
        {
            Directory.CreateDirectory(Folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(file, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(token);
        }

        return token;
    }
}
