namespace Pipeline.Contracts;

public enum DatasetFormat
{
    /// <summary>The pipeline's own <see cref="DatasetManifest"/>.</summary>
    Manifest,

    /// <summary>COCO instances JSON, since that is what users already have.</summary>
    Coco,
}
