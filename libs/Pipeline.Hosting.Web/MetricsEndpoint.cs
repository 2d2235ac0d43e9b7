using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Pipeline.Hosting.Web;

/// <summary>
/// <c>GET /metrics</c> in Prometheus's text format, on a service that serves HTTP: the metrics every service records
/// (Pipeline.Hosting's PipelineMetrics). It takes a viewer's credential, which Prometheus sends as a bearer token.
/// </summary>
public static class MetricsEndpoint
{
    public static IServiceCollection AddMetricsEndpoint(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusExporter());
        return services;
    }

    public static WebApplication MapMetricsEndpoint(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint();
        return app;
    }
}
