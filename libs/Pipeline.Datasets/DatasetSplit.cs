namespace Pipeline.Datasets;

// The dataset manifest on disk is the contracts' DatasetManifest; this library only adds its in-memory split.

public enum DatasetSplit
{
    Train,
    Test,
}
