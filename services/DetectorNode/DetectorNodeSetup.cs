using MassTransit;
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
        builder.Services.AddApiToken(builder.Configuration, DetectorNodeSettings.TokenSetting);
        builder.Services.ConfigureHttpJsonOptions(json => ContractJson.Configure(json.SerializerOptions));
        builder.Services.AddHttpClient<StatusApiModels>(http => http.Timeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton<ServedModels>();
        builder.Services.AddSingleton<ModelFollower>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ModelFollower>());
        builder.Services.AddSingleton<UncertainOutbox>();
        builder.Services.AddHostedService<InboxUploader>();
        builder.Services.AddSingleton<FieldDetection>();
        builder.Services.AddHealthChecks().AddCheck<ModelLoadedCheck>(ModelLoadedCheck.Name);
        BoundedImageDecoder.Limits = ImageLimits.From(builder.Configuration);
        return builder;
    }

    /// <summary>The token beyond loopback (and for detections once one is set), then the API.</summary>
    public static WebApplication UseDetectorNode(this WebApplication app)
    {
        app.RequireTokenBeyondLoopback();
        app.MapDetectionApi();
        return app;
    }
}
