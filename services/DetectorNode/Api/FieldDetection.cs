using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Datasets.Images;
using Pipeline.DetectorNode.Models;
using Pipeline.DetectorNode.Outbox;
using Pipeline.Hosting;
using Pipeline.Vision.Data;

namespace Pipeline.DetectorNode.Api;

/// <summary>
/// One request's detection, without HTTP: a hold on the served model, the images decoded through the bounded decoder
/// at its resolution, one batched inference, and every uncertain image saved to the outbox.
/// </summary>
public sealed class FieldDetection(ServedModels models, UncertainOutbox outbox, IOptions<DetectorNodeSettings> options, ILogger<FieldDetection> logger)
{
    private DetectorNodeSettings Settings => options.Value;

    /// <summary>The images' detections, in order, and the model that found all of them; null while no model is loaded.</summary>
    /// <exception cref="ImageRefusedException">an image is refused by the limits or does not decode.</exception>
    public async Task<(NodeModel Model, IReadOnlyList<ImageDetections> Images)?> DetectAsync(IReadOnlyList<UploadedImage> images, CancellationToken cancellationToken)
    {
        using var lease = models.Acquire();
        if (lease is null)
        {
            return null;
        }

        var resized = Decode(images, lease.Model.Resolution);
        var detections = await lease.Model.DetectAsync(resized, Settings.Detection, cancellationToken);
        PipelineMetrics.ImagesDetected.Add(detections.Count);
        for (var i = 0; i < images.Count; i++)
        {
            if (Settings.UncertainBand.ContainsAny(detections[i]))
            {
                Keep(images[i], detections[i]);
            }
        }

        return (lease.Model.Description, detections);
    }

    private static ResizedImage[] Decode(IReadOnlyList<UploadedImage> images, int resolution)
    {
        var resized = new ResizedImage[images.Count];
        var refusals = new string?[images.Count];
        Parallel.For(0, images.Count, i =>
        {
            try
            {
                resized[i] = ImageDecoder.LoadResized(images[i].Id, images[i].Bytes, resolution);
            }
            catch (InvalidDataException e)
            {
                refusals[i] = $"Image '{images[i].Id}' {e.Message}";
            }
        });
        return refusals.FirstOrDefault(refusal => refusal is not null) is { } first ? throw new ImageRefusedException(first) : resized;
    }

    // The client has its answer whatever happens here: a full disk costs the labelling, not the request.
    private void Keep(UploadedImage image, ImageDetections detections)
    {
        try
        {
            var item = outbox.Save(image.Bytes, BoundedImageDecoder.ReadHeader(image.Bytes).Format, detections);
            logger.LogInformation("Image {ImageId} is uncertain: kept as outbox item {ItemId}", image.Id, item.Id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "Image {ImageId} is uncertain but could not be kept in the outbox at {Folder}", image.Id, outbox.Folder);
        }
    }
}
