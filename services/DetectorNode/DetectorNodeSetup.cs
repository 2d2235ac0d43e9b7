using MassTransit;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Datasets.Images;
using Pipeline.DetectorNode.Api;
using Pipeline.DetectorNode.Consumers;
using Pipeline.DetectorNode.Models;
using Pipeline.DetectorNode.Outbox;
using Pipeline.Hosting;
using Pipeline.Hosting.Web;

namespace Pipeline.DetectorNode;

/// <summary>The node's parts, set up once for its Program.cs and for the tests and benchmark that run it in-process.</summary>
public static class DetectorNodeSetup
{
    /// <summary>Serilog, the bus with the node's own queue of promotions, the served model and its follower, the outbox and its uploader.</summary>
    public static WebApplicationBuilder AddDetectorNode(this WebApplicationBuilder builder)
    {
        builder.AddPipelineDefaults("detector-node", bus => bus.AddConsumer<ModelPromotedConsumer, ModelPromotedConsumerDefinition>());
        builder.Services.AddOptions<DetectorNodeSettings>()
            .Bind(builder.Configuration.GetSection(DetectorNodeSettings.Section))
            .Validate(settings => !string.IsNullOrWhiteSpace(settings.Organization) && !string.IsNullOrWhiteSpace(settings.Project),
                "DetectorNode:Organization and DetectorNode:Project must name the project whose models the node serves")
            .ValidateOnStart();
        builder.Services.AddApiAccess(builder.Configuration, DetectorNodeSettings.Section);
        builder.Services.ConfigureHttpJsonOptions(json => ContractJson.Configure(json.SerializerOptions));
        builder.Services.AddHttpClient<StatusApiModels>(http => http.Timeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton<ServedModels>();
        builder.Services.AddSingleton<ModelFollower>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ModelFollower>());
        builder.Services.AddSingleton<UncertainOutbox>();
        builder.Services.AddHostedService<InboxUploader>();
        builder.Services.AddSingleton<FieldDetection>();
        // Bounds at the door: turns at detection, and a time limit on each detection request, its upload included.
        builder.Services.AddSingleton<DetectionTurns>();
        builder.Services.AddMetricsEndpoint();
        builder.Services.AddRequestTimeouts();
        builder.Services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<DetectorNodeSettings>>((timeouts, node) =>
            timeouts.AddPolicy(DetectionApi.RequestTimeoutPolicy, new RequestTimeoutPolicy
            {
                Timeout = node.Value.RequestTimeout, TimeoutStatusCode = StatusCodes.Status504GatewayTimeout,
            }));
        builder.Services.AddHealthChecks().AddCheck<ModelLoadedCheck>(ModelLoadedCheck.Name);
        BoundedImageDecoder.Limits = ImageLimits.From(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// Tokens for everything but the health probes, from anywhere: DetectorNode:OperatorTokens for detections (they spend the
    /// node's compute and fill the project's inbox), DetectorNode:ViewerTokens for the served model; then the API.
    /// </summary>
    public static WebApplication UseDetectorNode(this WebApplication app)
    {
        app.UseApiAccess("multipart/form-data", "image/*");
        app.UseRequestTimeouts();
        app.MapDetectionApi();
        app.MapMetricsEndpoint();
        return app;
    }
}
