using System.Text.Json;
using Pipeline.Cli.Runner;

namespace Pipeline.Cli.Tests;

/// <summary>
/// The runner builds the services through a solution filter of Pipeline.sln: a service the solution does not hold
/// would fail that one build, so every service the runner starts must be a project of the solution.
/// </summary>
public sealed class When_the_runner_builds_the_services
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void The_filter_names_every_service_as_a_project_of_Pipeline_sln()
    {
        var checkout = Directory.CreateTempSubdirectory("pipeline-slnf-");
        try
        {
            File.Copy(Path.Combine(Root, "Pipeline.sln"), Path.Combine(checkout.FullName, "Pipeline.sln"));

            var filter = LocalRunner.WriteSolutionFilter(checkout.FullName, PipelineService.All);

            using var json = JsonDocument.Parse(File.ReadAllText(filter));
            var solution = json.RootElement.GetProperty("solution");
            Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(filter)!, solution.GetProperty("path").GetString()!)));
            var projects = solution.GetProperty("projects").EnumerateArray().Select(project => project.GetString()!).ToList();
            Assert.Equal(PipelineService.All.Count, projects.Count);
            var inSolution = File.ReadAllText(Path.Combine(Root, "Pipeline.sln")).Replace('\\', '/');
            Assert.All(projects, project => Assert.Contains($"\"{project}\"", inSolution));
            Assert.All(projects, project => Assert.True(File.Exists(Path.Combine(Root, project)), $"{project} does not exist"));
        }
        finally
        {
            checkout.Delete(recursive: true);
        }
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Pipeline.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Pipeline.sln above {AppContext.BaseDirectory}.");
    }
}
