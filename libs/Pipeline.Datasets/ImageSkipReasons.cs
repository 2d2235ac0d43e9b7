namespace Pipeline.Datasets;

public static class ImageSkipReasons
{
    /// <summary>The words a message uses for the reason ("3 missing", "1 outside the dataset root").</summary>
    public static string Describe(this ImageSkipReason reason) => reason switch
    {
        ImageSkipReason.Missing => "missing",
        ImageSkipReason.Unreadable => "unreadable",
        ImageSkipReason.TooLarge => "too large",
        ImageSkipReason.OutsideRoot => "outside the dataset root",
        _ => reason.ToString(),
    };

    /// <summary>"3 missing, 1 unreadable": each reason with its count, in the reasons' order; empty when none was skipped.</summary>
    public static string Describe(this IReadOnlyDictionary<ImageSkipReason, int> skipped) =>
        string.Join(", ", skipped.Where(pair => pair.Value > 0).OrderBy(pair => pair.Key).Select(pair => $"{pair.Value} {pair.Key.Describe()}"));
}
