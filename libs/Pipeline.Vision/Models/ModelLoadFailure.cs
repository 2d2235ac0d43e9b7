namespace Pipeline.Vision.Models;

/// <summary>
/// Why a model folder that <see cref="DetectorModel.Load"/> refused is bad input, in words for whoever sent it: the
/// file that fails its sha256, or what does not load. The services that load a model they were sent say it the same way.
/// </summary>
public static class ModelLoadFailure
{
    /// <param name="model">The model as the sender knows it, e.g. <c>Base model at 'key'</c>.</param>
    /// <returns>The reason, or null when <paramref name="failure"/> says nothing about the folder (it is no bad input then).</returns>
    public static string? Reason(Exception failure, string model) => failure switch
    {
        ChecksumMismatchException { ExpectedBy: ChecksumMismatchException.Registry } e =>
            $"{model}: file '{Path.GetFileName(e.File)}' has sha256 {e.Actual}, but the registry recorded {e.Expected} when it registered the model.",
        ChecksumMismatchException e =>
            $"{model}: file '{Path.GetFileName(e.File)}' has sha256 {e.Actual}, but its {ModelDescription.FileName} says {e.Expected}.",
        FileNotFoundException or InvalidDataException => $"{model} does not load: {failure.Message}",
        _ => null,
    };
}
