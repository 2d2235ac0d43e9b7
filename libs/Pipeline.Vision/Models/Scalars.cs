using TorchSharp;

namespace Pipeline.Vision.Models;

/// <summary>
/// Scalars that live as long as the process. An implicit conversion (<c>tensor * 0.1</c>) makes a Scalar that
/// nothing references once its handle is read, and the finaliser may free it during the native call; every
/// constant this library passes to libtorch is one of these or a local kept alive by <c>using</c>.
/// </summary>
internal static class Scalars
{
    public static readonly Scalar One = 1.0.ToScalar();
    public static readonly Scalar OneLong = 1L.ToScalar();
    public static readonly Scalar Two = 2.0.ToScalar();
    public static readonly Scalar Four = 4.0.ToScalar();
    public static readonly Scalar ProbabilityFloor = 1e-4.ToScalar();
    public static readonly Scalar ProbabilityCeiling = (1 - 1e-4).ToScalar();
    public static readonly Scalar Tiny = 1e-4.ToScalar();
    public static readonly Scalar HeatmapPrior = (-2.19).ToScalar();
    public static readonly Scalar SizeWeight = ((double)CenterNetLoss.SizeWeight).ToScalar();
}
