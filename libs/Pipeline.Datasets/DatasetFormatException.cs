namespace Pipeline.Datasets;

/// <summary>
/// A dataset file that cannot be read as its format says (a COCO entry without its id, a bbox of three numbers).
/// Callers add what they know at their boundary: the Downloader turns it into its stage-input fault.
/// </summary>
public sealed class DatasetFormatException(string message) : Exception(message);
