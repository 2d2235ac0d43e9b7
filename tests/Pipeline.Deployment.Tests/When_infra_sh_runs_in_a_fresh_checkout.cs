using System.Diagnostics;

namespace Pipeline.Deployment.Tests;

/// <summary>scripts/infra.sh as a newcomer meets it: a checkout of their own, servers perhaps reused from another one.</summary>
public sealed class When_infra_sh_runs_in_a_fresh_checkout
{
    [Fact]
    public async Task Status_in_a_checkout_that_never_started_its_own_servers_leaves_no_crash_dump()
    {
        var checkout = Directory.CreateTempSubdirectory("infra-status-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(checkout, "scripts"));
            File.Copy(Path.Combine(ComposeFile.RepositoryRoot(), "scripts", "infra.sh"), Path.Combine(checkout, "scripts", "infra.sh"));
            using var status = Process.Start(new ProcessStartInfo("bash", ["scripts/infra.sh", "status"])
            {
                WorkingDirectory = checkout, RedirectStandardOutput = true, RedirectStandardError = true,
            })!;
            var output = await status.StandardOutput.ReadToEndAsync() + await status.StandardError.ReadToEndAsync();
            await status.WaitForExitAsync();

            Assert.Contains("rabbitmq:", output);
            Assert.Empty(Directory.GetFiles(checkout, "erl_crash.dump", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(checkout, recursive: true);
        }
    }
}
