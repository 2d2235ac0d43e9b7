using Microsoft.Extensions.Options;
using Pipeline.Contracts;

namespace Pipeline.DetectorNode.Models;

/// <summary>
/// Which model the node serves. Pinned (<c>DetectorNode:ModelVersion</c>): that version, asked of the status API until it
/// is there, and never another. Otherwise the project's <c>current</c> alias: asked at start (until the status API
/// answers, and again while the project has none), then followed through <see cref="ModelPromoted"/> events.
/// </summary>
public sealed class ModelFollower(
    StatusApiModels registry, ServedModels served, IOptions<DetectorNodeSettings> options, ILogger<ModelFollower> logger) : BackgroundService
{
    private DetectorNodeSettings Settings => options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A promotion that arrives while this asks is no matter: whichever was promoted last is served.
        while (!stoppingToken.IsCancellationRequested && served.Current is null)
        {
            try
            {
                var model = Settings.ModelVersion is { } pinned
                    ? await registry.VersionAsync(pinned, stoppingToken)
                    : await registry.CurrentAsync(stoppingToken);
                if (model is not null)
                {
                    await served.OfferAsync(ModelOffer.From(model), stoppingToken);
                    return;
                }

                logger.LogInformation("{Organization}/{Project} has no {Model} yet: serving nothing until it has",
                    Settings.Organization, Settings.Project, Settings.ModelVersion is { } version ? $"model version {version}" : "current model");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("The status API at {StatusApi} does not answer ({Reason}); asking again in {RetryInterval}",
                    Settings.StatusApi, e.Message, Settings.RetryInterval);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // An answer that does not read, or a model that does not load: a node that gives up serves nothing, so it asks again.
                logger.LogError(e, "The model of {Organization}/{Project} could not be loaded; asking again in {RetryInterval}",
                    Settings.Organization, Settings.Project, Settings.RetryInterval);
            }

            // Stopping ends the wait without an exception: the loop's condition ends the service.
            await Task.Delay(Settings.RetryInterval, stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
        }
    }

    /// <summary>Serves a promoted model of this node's project, unless the node is pinned or serves that model or one promoted after it.</summary>
    public async Task PromotedAsync(ModelPromoted promoted, CancellationToken cancellationToken)
    {
        if (promoted.Organization != Settings.Organization || promoted.Project != Settings.Project)
        {
            return;
        }

        if (Settings.ModelVersion is { } pinned)
        {
            logger.LogInformation("Version {Version} of {Organization}/{Project} was promoted; this node stays pinned to version {Pinned}",
                promoted.Version, promoted.Organization, promoted.Project, pinned);
            return;
        }

        try
        {
            await served.OfferAsync(ModelOffer.From(promoted), cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or System.Text.Json.JsonException)
        {
            // A model that does not load (a file that fails its sha256) leaves the node on the model it serves.
            logger.LogError(e, "Promoted model version {Version} ({ModelId}) of {Organization}/{Project} does not load; still serving the one before",
                promoted.Version, promoted.ModelId, promoted.Organization, promoted.Project);
        }
    }
}
