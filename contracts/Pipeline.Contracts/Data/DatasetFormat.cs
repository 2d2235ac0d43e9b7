namespace Pipeline.Contracts;

public enum DatasetFormat
{
    /// <summary>The pipeline's own <see cref="DatasetManifest"/>.</summary>
    Manifest,

    /// <summary>COCO instances JSON, since that is what users already have.</summary>
    Coco,

    /// <summary>A YOLO (Ultralytics) folder: data.yaml with images/ and labels/.</summary>
    Yolo,

    /// <summary>A Pascal VOC folder: Annotations/*.xml with JPEGImages/.</summary>
    PascalVoc,

    /// <summary>Label Studio's JSON export, a list of tasks.</summary>
    LabelStudio,
}
