using Pipeline.Cli.Commands;

namespace Pipeline.Cli.Tests;

public sealed class When_the_demo_dataset_is_prepared
{
    [Fact]
    public void The_demo_dataset_is_generated_once_without_libtorch()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"cli-demo-{Guid.NewGuid():N}");
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(TextWriter.Null) });
        try
        {
            var options = new Pipeline.Datasets.ShapesDatasetOptions { TrainImages = 3, TestImages = 1 };
            var manifest = DemoCommand.EnsureDataset(console, folder, options);
            var written = File.GetLastWriteTimeUtc(manifest);

            Assert.Equal(Path.Combine(folder, "manifest.json"), manifest);
            Assert.Equal(4, Directory.GetFiles(Path.Combine(folder, "images"), "*.png").Length);
            Assert.Equal(manifest, DemoCommand.EnsureDataset(console, folder, options));
            Assert.Equal(written, File.GetLastWriteTimeUtc(manifest));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
