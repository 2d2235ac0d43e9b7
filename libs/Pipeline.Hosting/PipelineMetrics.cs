using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Pipeline.Hosting;

/// <summary>
/// What every service measures, on OpenTelemetry: .NET's runtime, HttpClient, ASP.NET Core and Npgsql meters,
/// MassTransit's instruments (messages received, consumed, faulted and how long each took, per queue and message type)
/// and the pipeline's own (<see cref="Meter"/>), exported to a Prometheus
/// scrape (<c>/metrics</c> where a service serves HTTP, else a listener of its own on <c>Metrics:PrometheusPort</c>) and to an OTLP
/// collector where <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> names one (with the traces).
/// </summary>
public static class PipelineMetrics
{
    public const string MeterName = "Pipeline";

    /// <summary>The port of the scrape listener of a service without HTTP (Prometheus's custom is 9464); unset, none.</summary>
    public const string PrometheusPortSetting = "Metrics:PrometheusPort";

    /// <summary>The listener's address: 127.0.0.1 unless set (<c>+</c> listens on every address, as in a container).</summary>
    public const string PrometheusHostSetting = "Metrics:PrometheusHost";

    /// <summary>The pipeline's own instruments: those of one service are declared where they are recorded.</summary>
    public static readonly Meter Meter = new(MeterName);

    /// <summary>How long a worker's run of a stage command took, by queue and outcome (Messaging.StageDurationFilter).</summary>
    public static readonly Histogram<double> StageDuration =
        Meter.CreateHistogram<double>("pipeline.stage.duration", "s", "How long a worker ran a stage's command.");

    /// <summary>Images a model detected on, by the Detector (service detector) and the detector nodes (detector-node).</summary>
    public static readonly Counter<long> ImagesDetected =
        Meter.CreateCounter<long>("pipeline.detection.images", "{image}", "Images a model detected on.");

    public static IHostApplicationBuilder AddPipelineTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        var otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var port = builder.Configuration.GetValue<int?>(PrometheusPortSetting);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics =>
            {
                // .NET's own meters need no package: the runtime, HttpClient, ASP.NET Core where a service serves HTTP,
                // and Npgsql where it has a database.
                metrics.AddMeter("MassTransit", MeterName, "System.Runtime", "System.Net.Http", "Microsoft.AspNetCore.Hosting",
                    "Microsoft.AspNetCore.Server.Kestrel", "Npgsql");
                if (port is { } listen)
                {
                    metrics.AddPrometheusHttpListener(options =>
                    {
                        options.Host = builder.Configuration[PrometheusHostSetting] ?? "127.0.0.1";
                        options.Port = listen;
                    });
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing.AddSource("MassTransit").AddOtlpExporter());
        }

        return builder;
    }
}
