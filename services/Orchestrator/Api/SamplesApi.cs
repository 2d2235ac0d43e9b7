using Marten;
using Pipeline.Contracts;
using Pipeline.Artifacts;

namespace Pipeline.Orchestrator.Api;

/// <summary>
/// A training's sample images with their ground truth and detections, as the Uploader kept them in the export:
/// <c>GET /trainings/{id}/samples</c> (a DetectionSamples) and <c>GET /trainings/{id}/samples/{file}</c> (an image it names).
/// </summary>
public static class SamplesApi
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = "image/png", [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg", [".bmp"] = "image/bmp", [".webp"] = "image/webp",
    };

    public static WebApplication MapSamples(this WebApplication app)
    {
        app.MapGet("/trainings/{id:guid}/samples", GetSamples);
        app.MapGet("/trainings/{id:guid}/samples/{file}", GetSampleImage);
        return app;
    }

    private static async Task<IResult> GetSamples(Guid id, IQuerySession session, IArtifactStore store, CancellationToken cancellationToken)
    {
        if (await session.LoadAsync<TrainingState>(id, cancellationToken) is null)
        {
            return StatusApi.UnknownTraining(id);
        }

        return await ReadAsync(id, store, cancellationToken) is { } samples ? Results.Ok(samples) : NoSamples(id);
    }

    private static async Task<IResult> GetSampleImage(Guid id, string file, IArtifactStore store, CancellationToken cancellationToken)
    {
        // Only a file the samples name is read: a name from the URL never reaches the store otherwise.
        if (await ReadAsync(id, store, cancellationToken) is not { } samples || samples.Images.All(image => image.File != file))
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such sample image",
                detail: $"Training {id} keeps no sample image '{file}'. 'GET /trainings/{id}/samples' lists them.");
        }

        var contentType = ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream");
        return Results.Stream(await store.OpenReadAsync(ArtifactKeys.SampleImage(id, file), cancellationToken), contentType);
    }

    private static async Task<DetectionSamples?> ReadAsync(Guid id, IArtifactStore store, CancellationToken cancellationToken)
    {
        var key = ArtifactKeys.SamplesIndex(id);
        return store.Exists(key) ? await store.ReadAsync<DetectionSamples>(key, cancellationToken) : null;
    }

    private static IResult NoSamples(Guid id) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No sample images yet",
            detail: $"Training {id} has no sample images: they are kept in its export once its detections are uploaded.");
}
