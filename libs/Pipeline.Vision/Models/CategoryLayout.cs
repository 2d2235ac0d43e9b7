

namespace Pipeline.Vision.Models;

/// <summary>Which heatmap channel or class logit each category owns.</summary>
public sealed class CategoryLayout
{
    public CategoryLayout(IReadOnlyList<Category> categories)
    {
        Categories = categories;
        Spatial = categories.Where(c => c.Type != CategoryType.Classification).ToList();
        Classification = categories.Where(c => c.Type == CategoryType.Classification).ToList();
        SpatialChannel = Spatial.Select((c, i) => (c.Id, i)).ToDictionary(t => t.Id, t => t.i);
        ClassificationIndex = Classification.Select((c, i) => (c.Id, i)).ToDictionary(t => t.Id, t => t.i);
    }

    public IReadOnlyList<Category> Categories { get; }
    public IReadOnlyList<Category> Spatial { get; }
    public IReadOnlyList<Category> Classification { get; }
    public IReadOnlyDictionary<string, int> SpatialChannel { get; }
    public IReadOnlyDictionary<string, int> ClassificationIndex { get; }
}
