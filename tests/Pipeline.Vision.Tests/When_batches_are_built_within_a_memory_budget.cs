using Pipeline.Vision.Models;
using Pipeline.Vision.Training;
using static TorchSharp.torch;

namespace Pipeline.Vision.Tests;

public sealed class When_batches_are_built_within_a_memory_budget(SmallShapesFixture shapes) : IClassFixture<SmallShapesFixture>
{
    [Fact]
    public void Within_a_budget_of_a_few_images_the_batches_are_those_of_all_images_held_and_no_more_are_kept()
    {
        var hp = SmallShapesFixture.Quick(iterations: 12);
        var layout = new CategoryLayout(shapes.Dataset.Categories);
        var onePlane = 3L * hp.Resolution * hp.Resolution;
        var held = new BatchBuilder(shapes.Dataset.Train, layout, hp, seed: 5, decodedBudgetBytes: long.MaxValue);
        var bounded = new BatchBuilder(shapes.Dataset.Train, layout, hp, seed: 5, decodedBudgetBytes: 3 * onePlane);

        // 12 iterations of 8 over 24 images: four epochs, each a fresh permutation, the next batches decoded ahead.
        for (var iteration = 0; iteration < 12; iteration++)
        {
            using var scope = NewDisposeScope();
            var (all, allTargets) = held.Build(iteration, CPU);
            var (few, fewTargets) = bounded.Build(iteration, CPU);
            Assert.True(all.equal(few).all().item<bool>(), $"iteration {iteration}: the images differ");
            Assert.True(allTargets.Heatmap.equal(fewTargets.Heatmap).all().item<bool>(), $"iteration {iteration}: the targets differ");
            Assert.InRange(bounded.DecodedHeld, 1, 3);
        }

        Assert.Equal(shapes.Dataset.Train.Count, held.DecodedHeld);
    }
}
