namespace Pipeline.Datasets.Tests;

public sealed class When_boxes_overlap
{
    [Fact]
    public void IoU_of_two_10px_boxes_offset_by_5px_is_25_over_175()
    {
        // Intersection 5x5 = 25; union 100 + 100 - 25 = 175.
        Assert.Equal(25f / 175f, BoxOps.IoU(new Box(0, 0, 10, 10), new Box(5, 5, 10, 10)), 6);
    }

    [Fact]
    public void IoU_of_a_box_inside_another_is_the_area_ratio()
    {
        Assert.Equal(0.25f, BoxOps.IoU(new Box(0, 0, 10, 10), new Box(0, 0, 5, 5)), 6);
    }

    [Fact]
    public void IoU_of_identical_boxes_is_one_and_of_touching_boxes_is_zero()
    {
        Assert.Equal(1f, BoxOps.IoU(new Box(3, 4, 7, 9), new Box(3, 4, 7, 9)), 6);
        Assert.Equal(0f, BoxOps.IoU(new Box(0, 0, 10, 10), new Box(10, 0, 10, 10)));
        Assert.Equal(0f, BoxOps.IoU(new Box(0, 0, 0, 0), new Box(0, 0, 0, 0)));
    }

    [Fact]
    public void Nms_drops_a_weaker_overlapping_box_of_the_same_category_only()
    {
        var a = Box(1, 0.9f, 0, 0);
        var b = Box(1, 0.8f, 1, 1);   // IoU with a: 81 / 119 = 0.68 > 0.5: suppressed
        var c = Box(1, 0.7f, 20, 20); // disjoint: kept
        var d = Box(2, 0.6f, 0, 0);   // same place as a, other category: kept
        var e = Box(1, 0.5f, 4, 0);   // IoU with a: 60 / 140 = 0.43 <= 0.5: kept

        var kept = BoxOps.Nms([e, c, b, d, a], 0.5f);

        Assert.Equal([a, c, d, e], kept);
    }

    private static Detection Box(int category, float confidence, float x, float y) =>
        new($"{category}", $"c{category}", CategoryType.Box, confidence, new Box(x, y, 10, 10));
}
