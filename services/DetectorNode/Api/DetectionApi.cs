using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.DetectorNode.Models;
using Pipeline.Hosting.Web;

namespace Pipeline.DetectorNode.Api;

/// <summary>The node's HTTP API: detections for one image or a batch, the model it serves, and its health.</summary>
public static class DetectionApi
{
    public const string ImageField = "image";

    public static WebApplication MapDetectionApi(this WebApplication app)
    {
        app.MapPost("/detect", DetectOne).RequireOperator().WithRequestTimeout(RequestTimeoutPolicy);
        app.MapPost("/detect/batch", DetectBatch).RequireOperator().WithRequestTimeout(RequestTimeoutPolicy);
        app.MapGet("/model", (ServedModels models) => models.Current is { } model ? Results.Ok(model) : NoModel());
        // Live: the process answers. Ready: a model is loaded, so /detect answers with detections.
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowWithoutCredential();
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Name == ModelLoadedCheck.Name }).AllowWithoutCredential();
        return app;
    }

    /// <summary>DetectorNode:RequestTimeout, as the detection endpoints' request timeout policy (answered 504).</summary>
    public const string RequestTimeoutPolicy = "detection";

    private static Task<IResult> DetectOne(
        HttpRequest request, FieldDetection detection, DetectionTurns turns, IOptions<DetectorNodeSettings> options, CancellationToken cancellationToken) =>
        InTurnAsync(request, turns, options.Value, images => images.Count == 1
            ? DetectAsync(images, detection, found => new NodeDetections
            {
                ModelId = found.Model.ModelId, ModelVersion = found.Model.Version, Detections = found.Images[0],
            }, cancellationToken)
            : Task.FromResult(BadRequest("Send one image",
                $"POST /detect takes one image (multipart field '{ImageField}', or the body with an image/* content type), " +
                $"not {images.Count}; POST /detect/batch takes several.")), cancellationToken);

    private static Task<IResult> DetectBatch(
        HttpRequest request, FieldDetection detection, DetectionTurns turns, IOptions<DetectorNodeSettings> options, CancellationToken cancellationToken)
    {
        var max = Math.Max(1, options.Value.MaxBatchImages);
        return InTurnAsync(request, turns, options.Value, images => images.Count >= 1 && images.Count <= max
            ? DetectAsync(images, detection, found => new NodeDetectionBatch
            {
                ModelId = found.Model.ModelId, ModelVersion = found.Model.Version, Images = found.Images,
            }, cancellationToken)
            : Task.FromResult(BadRequest("Send 1 to " + max + " images",
                $"POST /detect/batch takes 1 to {max} images (DetectorNode:MaxBatchImages) as multipart fields '{ImageField}', not {images.Count}.")),
            cancellationToken);
    }

    /// <summary>
    /// The door every detection request passes: a turn (503 with Retry-After when the waiting line is full), then its
    /// images read within DetectorNode:MaxRequestBytes (413 past it), then <paramref name="answer"/> while the turn is held.
    /// </summary>
    private static async Task<IResult> InTurnAsync(
        HttpRequest request, DetectionTurns turns, DetectorNodeSettings settings, Func<IReadOnlyList<UploadedImage>, Task<IResult>> answer,
        CancellationToken cancellationToken)
    {
        using var turn = await turns.WaitAsync(cancellationToken);
        if (!turn.IsAcquired)
        {
            return Busy(request.HttpContext.Response, settings);
        }

        return await ReadImagesAsync(request, settings, cancellationToken) is { } images ? await answer(images) : TooLarge(settings);
    }

    private static async Task<IResult> DetectAsync<T>(
        IReadOnlyList<UploadedImage> images, FieldDetection detection, Func<(NodeModel Model, IReadOnlyList<ImageDetections> Images), T> answer,
        CancellationToken cancellationToken)
    {
        try
        {
            return await detection.DetectAsync(images, cancellationToken) is { } found ? Results.Ok(answer(found)) : NoModel();
        }
        catch (ImageRefusedException e)
        {
            return BadRequest("Not an image this node reads", e.Message);
        }
    }

    /// <summary>
    /// The multipart fields named <see cref="ImageField"/>, or the whole body when it says it is an image; null when the
    /// body is larger than DetectorNode:MaxRequestBytes (the server stops reading it there).
    /// </summary>
    private static async Task<IReadOnlyList<UploadedImage>?> ReadImagesAsync(HttpRequest request, DetectorNodeSettings settings, CancellationToken cancellationToken)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = settings.MaxRequestBytes;
        }

        try
        {
            return await ReadBodyImagesAsync(request, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
    }

    private static async Task<IReadOnlyList<UploadedImage>> ReadBodyImagesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(cancellationToken);
            var images = new List<UploadedImage>();
            foreach (var (file, index) in form.Files.GetFiles(ImageField).Select((file, index) => (file, index)))
            {
                using var buffer = new MemoryStream((int)file.Length);
                await file.CopyToAsync(buffer, cancellationToken);
                images.Add(new UploadedImage(string.IsNullOrWhiteSpace(file.FileName) ? $"{ImageField}-{index}" : file.FileName, buffer.ToArray()));
            }

            return images;
        }

        if (request.ContentType?.StartsWith("image/", StringComparison.OrdinalIgnoreCase) == true)
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, cancellationToken);
            return [new UploadedImage(ImageField, buffer.ToArray())];
        }

        return [];
    }

    private static IResult Busy(HttpResponse response, DetectorNodeSettings settings)
    {
        response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Busy",
            detail: $"This node runs {settings.MaxConcurrentDetections} detection requests at once (DetectorNode:MaxConcurrentDetections) " +
                $"and {settings.MaxQueuedDetections} are waiting (DetectorNode:MaxQueuedDetections); send it again after Retry-After.");
    }

    private static IResult TooLarge(DetectorNodeSettings settings) =>
        Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large",
            detail: $"A detection request's body may hold {settings.MaxRequestBytes} bytes (DetectorNode:MaxRequestBytes).");

    /// <summary>What a turned-away caller is told to wait (Retry-After, seconds).</summary>
    public const int RetryAfterSeconds = 1;

    private static IResult BadRequest(string title, string detail) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: title, detail: detail);

    private static IResult NoModel() =>
        Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "No model yet",
            detail: "This node has no model loaded yet: its project has no current model, or the status API has not answered. It loads one as soon as there is one.");
}

/// <summary>Ready once a model is loaded: before that every /detect is a 503.</summary>
public sealed class ModelLoadedCheck(ServedModels models) : IHealthCheck
{
    public const string Name = "model";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(models.Current is { } model
            ? HealthCheckResult.Healthy($"serving {model.Organization}/{model.Project} version {model.Version}")
            : HealthCheckResult.Unhealthy("no model loaded yet"));
}
