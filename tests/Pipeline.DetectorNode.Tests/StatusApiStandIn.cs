using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pipeline.DetectorNode.Tests;

/// <summary>
/// The two status API endpoints a node reads, on loopback, answering as the Orchestrator's do: <c>GET /models</c> (the
/// project's registered versions) and <c>GET /models/current</c> (the project's current model, 404 while it has none),
/// both written with <see cref="ContractJson"/>. The Orchestrator's /models/current is being built on another branch;
/// this serves exactly its contract, so the node is tested without a saga behind it.
/// </summary>
public sealed class StatusApiStandIn : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string, string), ModelVersion> current = new();
    private readonly ConcurrentBag<ModelVersion> registered = [];
    private readonly WebApplication app;

    private StatusApiStandIn(WebApplication app) => this.app = app;

    public Uri Address => new(app.Urls.First());

    public static async Task<StatusApiStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(json => ContractJson.Configure(json.SerializerOptions));
        var standIn = new StatusApiStandIn(builder.Build());
        standIn.app.MapGet("/models/current", (string organization, string project) =>
            standIn.current.TryGetValue((organization, project), out var model)
                ? Results.Ok(model)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No current model"));
        standIn.app.MapGet("/models", (string organization, string project) =>
            Results.Ok(standIn.registered.Where(m => m.Organization == organization && m.Project == project).OrderByDescending(m => m.Version).ToList()));
        await standIn.app.StartAsync();
        return standIn;
    }

    /// <summary>Registers the model; <paramref name="makeCurrent"/> moves the project's current alias to it.</summary>
    public void Add(ModelVersion model, bool makeCurrent)
    {
        registered.Add(model);
        if (makeCurrent)
        {
            // As the registry answers: the current model says when and why it was promoted.
            current[(model.Organization, model.Project)] = model with
            {
                IsCurrent = true,
                Promotion = new PromotionDecision { Promoted = true, Reason = "current in the test", DecidedAt = DateTimeOffset.UtcNow },
            };
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
