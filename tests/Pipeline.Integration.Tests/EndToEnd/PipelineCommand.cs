using System.Diagnostics;

namespace Pipeline.Integration.Tests.EndToEnd;

/// <summary>The <c>pipeline</c> command as a user runs it: its own process, pointed at this run's servers and status API.</summary>
public static class PipelineCommand
{
    public static Task<(int ExitCode, string Output)> RunAsync(RunningPipelineFixture pipeline, params string[] args) =>
        RunAsync(pipeline.Infrastructure, pipeline.Api.BaseAddress!, pipeline.ActionToken, args);

    /// <param name="token">Sent as PIPELINE_API_TOKEN: the token of the status API at <paramref name="api"/>, never the checkout's own.</param>
    public static async Task<(int ExitCode, string Output)> RunAsync(InfrastructureFixture infrastructure, Uri api, string token, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [ServiceProcess.BuiltAssemblyPath(Path.Combine("tools", "Pipeline.Cli"), "Pipeline.Cli.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = ServiceProcess.RepositoryRoot,
        };
        start.Environment["PIPELINE_API"] = api.ToString();
        start.Environment["PIPELINE_API_TOKEN"] = token;
        start.Environment["PIPELINE_RABBITMQ_HOST"] = infrastructure.RabbitMqHost;
        start.Environment["PIPELINE_RABBITMQ_PORT"] = infrastructure.RabbitMqPort.ToString();
        start.Environment["PIPELINE_RABBITMQ_USER"] = infrastructure.RabbitMqUsername;
        start.Environment["PIPELINE_RABBITMQ_PASSWORD"] = infrastructure.RabbitMqPassword;
        start.Environment["PIPELINE_RABBITMQ_VHOST"] = infrastructure.RabbitMqVirtualHost;
        start.Environment["COLUMNS"] = "200";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await errors);
    }
}
