using Pipeline.Vision.Models;
using Pipeline.Vision.Training;

namespace Pipeline.Vision.Tests;

public sealed class When_the_detector_is_trained(SmallShapesFixture shapes) : IClassFixture<SmallShapesFixture>, IDisposable
{
    private readonly string checkpoints = Directory.CreateTempSubdirectory("vision-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(checkpoints, recursive: true);

    [Fact]
    public void Eighty_iterations_on_a_small_generated_set_cut_the_loss_to_less_than_half()
    {
        using var trainer = new DetectorTrainer(shapes.Dataset, SmallShapesFixture.Quick(80), options: SmallShapesFixture.Options);

        var steps = trainer.Iterate().ToList();

        Assert.Equal(Enumerable.Range(1, 80), steps.Select(s => s.Iteration));
        var first = steps.Take(5).Average(s => s.Loss);
        var last = steps.TakeLast(5).Average(s => s.Loss);
        Assert.True(last < 0.5 * first, $"loss went from {first:F3} to {last:F3}");
        Assert.All(steps, s => Assert.True(s.ImagesPerSecond > 0 && s.LearningRate > 0));
    }

    [Fact]
    public void A_training_resumed_from_a_checkpoint_continues_the_iteration_count_and_the_same_losses()
    {
        List<TrainingStep> straight;
        using (var trainer = new DetectorTrainer(shapes.Dataset, SmallShapesFixture.Quick(12), options: SmallShapesFixture.Options))
        {
            straight = trainer.Iterate().ToList();
        }

        using (var first = new DetectorTrainer(shapes.Dataset, SmallShapesFixture.Quick(12), options: SmallShapesFixture.Options))
        {
            first.Iterate().Take(6).ToList();
            new CheckpointFolder(checkpoints).Write(first);
        }
        using var resumed = new CheckpointFolder(checkpoints).Resume(shapes.Dataset);
        Assert.Equal(6, resumed.Iteration);
        var rest = resumed.Iterate().ToList();

        Assert.Equal(Enumerable.Range(7, 6), rest.Select(s => s.Iteration));
        for (var i = 0; i < rest.Count; i++)
        {
            Assert.Equal(straight[6 + i].Loss, rest[i].Loss, 3);
        }
    }

    [Fact]
    public void Cancelling_stops_between_iterations()
    {
        using var trainer = new DetectorTrainer(shapes.Dataset, SmallShapesFixture.Quick(50), options: SmallShapesFixture.Options);
        using var cancellation = new CancellationTokenSource();

        Assert.Throws<OperationCanceledException>(() =>
        {
            foreach (var step in trainer.Iterate(cancellation.Token))
            {
                if (step.Iteration == 3)
                {
                    cancellation.Cancel();
                }
            }
        });
        Assert.Equal(3, trainer.Iteration);
    }

    [Fact]
    public async Task The_async_iteration_yields_the_same_steps_in_order()
    {
        using var trainer = new DetectorTrainer(shapes.Dataset, SmallShapesFixture.Quick(4), options: SmallShapesFixture.Options);
        var iterations = new List<int>();
        await foreach (var step in trainer.IterateAsync())
        {
            iterations.Add(step.Iteration);
        }

        Assert.Equal([1, 2, 3, 4], iterations);
    }

    [Fact]
    public void After_80_iterations_every_test_image_has_detections_above_min_confidence_and_mAP_is_over_0_3()
    {
        using var trainer = new DetectorTrainer(shapes.Dataset, SmallShapesFixture.Quick(80), options: SmallShapesFixture.Options);
        trainer.Iterate().ToList();
        var images = shapes.Dataset.Test;

        var found = trainer.Model.Detect(images, minConfidence: 0.01f, batchSize: 4);
        var metrics = trainer.Evaluate();

        Assert.Equal(images.Select(i => (i.Id, i.Width, i.Height)), found.Select(f => (f.ImageId, f.Width, f.Height)));
        Assert.All(found, f => Assert.NotEmpty(f.Detections));
        Assert.All(found.SelectMany(f => f.Detections), d => Assert.True(d.Confidence >= 0.01f, $"{d.CategoryId} at {d.Confidence}"));
        Assert.Equal(shapes.Dataset.Categories.Select(c => c.Id), metrics.Categories.Select(c => c.CategoryId));
        // Measured 0.45 with this seed (0.20 after 10 iterations, all of it the classification category): 0.3 needs the boxes learned.
        Assert.True(metrics.MeanAveragePrecision > 0.3, $"mAP {metrics.MeanAveragePrecision:F3}");
    }

    [Theory]
    [InlineData(nameof(Hyperparameters.Iterations))]
    [InlineData(nameof(Hyperparameters.BatchSize))]
    [InlineData(nameof(Hyperparameters.LearningRate))]
    [InlineData(nameof(Hyperparameters.Resolution))]
    public void An_out_of_range_hyperparameter_is_refused_by_name(string name)
    {
        var good = new Hyperparameters();
        var bad = name switch
        {
            nameof(Hyperparameters.Iterations) => good with { Iterations = 0 },
            nameof(Hyperparameters.BatchSize) => good with { BatchSize = 0 },
            nameof(Hyperparameters.LearningRate) => good with { LearningRate = 0 },
            _ => good with { Resolution = 100 },
        };

        var error = Assert.Throws<ArgumentException>(() => bad.Validate());

        Assert.Equal(name, error.ParamName);
        Assert.Contains(name, error.Message);
    }

    [Theory]
    [InlineData(nameof(TrainingOptions.Optimizer))]
    [InlineData(nameof(TrainingOptions.ModelWidth))]
    public void An_out_of_range_training_option_is_refused_by_name(string name)
    {
        var bad = name == nameof(TrainingOptions.Optimizer) ? new TrainingOptions { Optimizer = "rmsprop" } : new TrainingOptions { ModelWidth = 1 };

        var error = Assert.Throws<ArgumentException>(() => bad.Validate());

        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public void Sgd_ends_20_iterations_with_a_lower_loss_than_it_started_with()
    {
        using var trainer = new DetectorTrainer(shapes.Dataset, SmallShapesFixture.Quick(20) with { LearningRate = 0.02 }, options: SmallShapesFixture.Options with { Optimizer = "sgd" });
        var steps = trainer.Iterate().ToList();
        Assert.True(steps[^1].Loss < steps[0].Loss, $"loss went from {steps[0].Loss:F3} to {steps[^1].Loss:F3}");
    }
}
