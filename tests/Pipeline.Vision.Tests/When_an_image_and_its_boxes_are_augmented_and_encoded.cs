using Pipeline.Vision.Models;
using Pipeline.Vision.Training;
using TorchSharp;

namespace Pipeline.Vision.Tests;

public sealed class When_an_image_and_its_boxes_are_augmented_and_encoded
{
    [Fact]
    public void Flip_left_right_mirrors_the_box_about_the_vertical_centre_line()
    {
        // x' = 100 - 10 - 30 = 60; y and size unchanged.
        Assert.Equal(new Box(60, 20, 30, 40), Augmentation.FlipLeftRight(new Box(10, 20, 30, 40), 100));
    }

    [Fact]
    public void Flip_up_down_mirrors_the_box_about_the_horizontal_centre_line()
    {
        // y' = 200 - 20 - 40 = 140.
        Assert.Equal(new Box(10, 140, 30, 40), Augmentation.FlipUpDown(new Box(10, 20, 30, 40), 200));
    }

    [Fact]
    public void Resize_to_the_model_then_flip_moves_the_box_with_the_pixels()
    {
        // 256x128 to 128x128: x halves, y stays: (50, 20, 20, 20); flipped left-right: x = 128 - 50 - 20 = 58.
        var moved = Augmentation.ToModelInput(new Annotation("circle", new Box(100, 20, 40, 20)), 256, 128, 128, flipRl: true, flipUd: false);
        Assert.Equal(new Box(58, 20, 20, 20), moved.Box);
    }

    [Fact]
    public void Flipped_pixels_land_where_the_flipped_box_says()
    {
        // An 8x8 image, one bright 2x1 block at x 1..2, y 5: box (1, 5, 2, 1).
        const int size = 8;
        var chw = new byte[3 * size * size];
        foreach (var x in new[] { 1, 2 })
        {
            for (var c = 0; c < 3; c++)
            {
                chw[c * size * size + 5 * size + x] = 255;
            }
        }

        var flipped = new float[chw.Length];

        Augmentation.CopyNormalised(chw, flipped, size, flipRl: true, flipUd: true);

        var box = Augmentation.FlipUpDown(Augmentation.FlipLeftRight(new Box(1, 5, 2, 1), size), size);
        Assert.Equal(new Box(5, 2, 2, 1), box);
        var bright = Enumerable.Range(0, size * size).Where(i => flipped[i] > 0).Select(i => (X: i % size, Y: i / size)).ToList();
        Assert.Equal([(5, 2), (6, 2)], bright);
    }

    [Fact]
    public void A_box_puts_a_heatmap_peak_of_one_at_its_centre_cell_with_size_and_offset_in_cells()
    {
        // Box centre (18, 17) in a 32 px input: stride 4 gives cell (4, 4) and offset (0.5, 0.25); size 16x8 px = 4x2 cells.
        var layout = new CategoryLayout([new Category { Id = "circle", Name = "circle", Type = CategoryType.Box }]);
        var targets = CenterNetEncoder.Encode([[new Annotation("circle", new Box(10, 13, 16, 8))]], layout, 32, torch.CPU);

        Assert.Equal(1f, targets.Heatmap[0, 0, 4, 4].item<float>());
        Assert.Equal(4 * 8 + 4, targets.Indices[0, 0].item<long>());
        Assert.Equal([4f, 2f], targets.Size[0, .., 0].data<float>().ToArray());
        Assert.Equal([0.5f, 0.25f], targets.Offset[0, .., 0].data<float>().ToArray());
        Assert.Equal(1f, targets.Mask.sum().item<float>());
    }
}
