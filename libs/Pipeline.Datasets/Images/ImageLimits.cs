using Microsoft.Extensions.Configuration;

namespace Pipeline.Datasets.Images;

/// <summary>
/// What an image may be before it is decoded, from the <c>Images</c> section: read by every service that decodes
/// (Downloader, Trainer, Detector), so an image the Downloader kept is one the others accept.
/// </summary>
public sealed class ImageLimits
{
    public const string Section = "Images";

    public static readonly IReadOnlyList<string> DefaultFormats = ["jpeg", "png", "bmp", "webp"];

    /// <summary>Width times height, in millions: a decode holds 4 bytes per pixel (40 MP: 160 MB).</summary>
    public double MaxMegapixels { get; set; } = 40;

    /// <summary>Formats decoded (SkiaSharp's names: jpeg, png, bmp, webp, gif, ...); null or empty means the defaults.</summary>
    public string[]? Formats { get; set; }

    public IReadOnlyList<string> AllowedFormats => Formats is { Length: > 0 } formats ? formats : DefaultFormats;

    public static ImageLimits From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<ImageLimits>() ?? new ImageLimits();
}
