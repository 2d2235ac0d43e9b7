using System.Diagnostics.Metrics;
using Pipeline.Hosting;

namespace Pipeline.Trainer.Training;

/// <summary>What the Trainer counts as it trains: their rates are its speed in iterations and images per second.</summary>
internal static class TrainerMetrics
{
    public static readonly Counter<long> Iterations =
        PipelineMetrics.Meter.CreateCounter<long>("pipeline.training.iterations", "{iteration}", "Training iterations run.");

    public static readonly Counter<long> Images =
        PipelineMetrics.Meter.CreateCounter<long>("pipeline.training.images", "{image}", "Images trained on (an image seen again counts again).");
}
