namespace Pipeline.Contracts;

/// <summary>Why a listed image was left out of a dataset: every skipped image is counted under exactly one.</summary>
public enum ImageSkipReason
{
    /// <summary>No file where the dataset's layout says the image lies.</summary>
    Missing,

    /// <summary>The file is there but does not decode (not an image, truncated, a format not allowed).</summary>
    Unreadable,

    /// <summary>The header declares more pixels than Images:MaxMegapixels.</summary>
    TooLarge,

    /// <summary>The listed path climbs out of the dataset (<c>../</c>) or is absolute.</summary>
    OutsideRoot,
}
