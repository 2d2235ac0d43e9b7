using Pipeline.Contracts;
using Pipeline.Vision.Models;

namespace Pipeline.DetectorNode;

public sealed class DetectorNodeSettings
{
    public const string Section = "DetectorNode";

    /// <summary>The project whose models this node serves.</summary>
    public string Organization { get; set; } = "";

    public string Project { get; set; } = "";

    /// <summary>Load this version of the project and never move; unset: follow the project's <c>current</c> alias.</summary>
    public int? ModelVersion { get; set; }

    /// <summary>The status API the node asks for the project's models at start.</summary>
    public Uri StatusApi { get; set; } = new("http://127.0.0.1:5080");

    /// <summary>Sent to the status API as a bearer token: a viewer's is all a node needs (and all it should hold in the field).</summary>
    public string? StatusApiToken { get; set; }

    /// <summary>
    /// Names this node's own queue of promotions (<c>detector-node-{name}</c>, durable: promotions wait while it is down).
    /// Unset: a temporary queue that goes when the node does. Either way every node gets every promotion.
    /// </summary>
    public string? NodeName { get; set; }

    /// <summary>auto (cuda when libtorch sees a GPU, else cpu), cpu or cuda.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>libtorch's intra-op threads; 0 leaves libtorch's default of one per core.</summary>
    public int Threads { get; set; }

    /// <summary>Detections below this confidence are not reported.</summary>
    public float MinConfidence { get; set; } = 0.3f;

    /// <summary>Boxes of one category overlapping a more confident one by more than this IoU are dropped.</summary>
    public float NmsIou { get; set; } = 0.5f;

    /// <summary>Images per forward pass.</summary>
    public int InferenceBatchSize { get; set; } = 16;

    /// <summary>Images one <c>POST /detect/batch</c> may carry.</summary>
    public int MaxBatchImages { get; set; } = 16;

    /// <summary>Detection requests run at once (each decodes its images and runs the model); the rest wait their turn.</summary>
    public int MaxConcurrentDetections { get; set; } = 2;

    /// <summary>Detection requests that may wait for a turn; past it a request is answered 503 with Retry-After.</summary>
    public int MaxQueuedDetections { get; set; } = 32;

    /// <summary>A detection request's body (one image, or a batch's form) may hold this many bytes; more is answered 413.</summary>
    public long MaxRequestBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>A request that takes longer, its upload included, is answered 504 and its work cancelled.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An image with a detection whose confidence lies in this band (inclusive) goes to the outbox for labelling.</summary>
    public ConfidenceBand UncertainBand { get; set; } = new();

    /// <summary>Where uncertain images wait on this machine until they reach the project's inbox.</summary>
    public string OutboxFolder { get; set; } = Path.Combine(Path.GetTempPath(), "pipeline-detector-node", "outbox");

    /// <summary>The outbox's bounds: past either, the oldest items are dropped first.</summary>
    public int OutboxMaxItems { get; set; } = 1000;

    public long OutboxMaxBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>How long to wait before asking an unreachable status API again, or retrying a failed upload.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    public DetectionOptions Detection => new(MinConfidence, NmsIou, InferenceBatchSize);
}

/// <summary>Confidences from <see cref="Min"/> to <see cref="Max"/>, both included.</summary>
public sealed class ConfidenceBand
{
    public double Min { get; set; } = 0.3;
    public double Max { get; set; } = 0.6;

    public bool Contains(double confidence) => confidence >= Min && confidence <= Max;

    public bool ContainsAny(ImageDetections detections) =>
        detections.Boxes.Any(d => Contains(d.Confidence)) || detections.Points.Any(d => Contains(d.Confidence))
        || detections.Classifications.Any(d => Contains(d.Confidence));
}
