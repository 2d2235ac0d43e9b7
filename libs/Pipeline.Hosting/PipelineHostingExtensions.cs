using Pipeline.Contracts;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pipeline.Artifacts;
using Pipeline.Hosting.Logging;
using Pipeline.Hosting.Messaging;
using Pipeline.Messaging;
using Serilog;
using Serilog.Events;

namespace Pipeline.Hosting;

/// <summary>What every service sets up the same way, called as one line from each Program.cs.</summary>
public static class PipelineHostingExtensions
{
    public const string LogTemplate =
        "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Service} {TrainingId} {Message:lj} {SourceContext}{NewLine}{Exception}";

    /// <summary>Serilog, the artifact store, settings, metrics and tracing, and the bus on RabbitMQ with this service's consumers.</summary>
    public static IHostApplicationBuilder AddPipelineDefaults(
        this IHostApplicationBuilder builder, string serviceName, Action<IBusRegistrationConfigurator> configureBus)
    {
        PlaceholderSecrets.Refuse(builder.Configuration);
        builder.AddPipelineLogging(serviceName);
        builder.Services.AddSingleton(new ServiceIdentity(serviceName));
        builder.Services.Configure<ArtifactStoreSettings>(builder.Configuration.GetSection(ArtifactStoreSettings.Section));
        builder.Services.Configure<RabbitMqSettings>(builder.Configuration.GetSection(RabbitMqSettings.Section));
        builder.Services.Configure<RetrySettings>(builder.Configuration.GetSection(RetrySettings.Section));
        builder.Services.AddSingleton<IArtifactStore, FileSystemArtifactStore>();
        builder.Services.AddSingleton<StageStarts>();
        builder.Services.AddPipelineBus(builder.Configuration, configureBus);
        builder.AddGracefulShutdown();

        builder.AddPipelineTelemetry(serviceName);
        return builder;
    }

    /// <summary>A stop gives the work in progress <c>Shutdown:WorkGrace</c>, then cancels it: it is handed back, not lost or counted.</summary>
    public static IHostApplicationBuilder AddGracefulShutdown(this IHostApplicationBuilder builder)
    {
        var shutdown = builder.Configuration.GetSection(ShutdownSettings.Section).Get<ShutdownSettings>() ?? new ShutdownSettings();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = shutdown.Timeout);
        builder.Services.Configure<MassTransitHostOptions>(bus =>
        {
            bus.ConsumerStopTimeout = shutdown.WorkGrace;
            bus.StopTimeout = shutdown.Timeout;
        });
        return builder;
    }

    public static IServiceCollection AddPipelineBus(
        this IServiceCollection services, IConfiguration configuration, Action<IBusRegistrationConfigurator> configureBus)
    {
        StageSendConventions.Map();
        services.AddSingleton<ReceiveEndpointWatch>();
        services.AddReceiveEndpointObserver(provider => provider.GetRequiredService<ReceiveEndpointWatch>());
        services.AddMassTransit(bus =>
        {
            // MassTransit 8.5 reports usage to its vendor after the bus starts; nothing of ours leaves the machine unasked.
            bus.DisableUsageTelemetry();
            bus.SetKebabCaseEndpointNameFormatter();
            configureBus(bus);
            bus.AddConfigureEndpointsCallback((context, queue, endpoint) =>
            {
                var settings = configuration.GetSection($"{EndpointSettings.Section}:{queue}").Get<EndpointSettings>();
                if (settings?.ConcurrentMessageLimit is { } limit)
                {
                    endpoint.ConcurrentMessageLimit = limit;
                }

                if (settings?.PrefetchCount is { } prefetch && endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.PrefetchCount = prefetch;
                }
            });
            bus.UsingRabbitMq((context, rabbit) =>
            {
                var settings = context.GetRequiredService<IOptions<RabbitMqSettings>>().Value.Validated();
                rabbit.Host(settings.Host, settings.Port, settings.VirtualHost, host =>
                {
                    host.Username(settings.Username);
                    host.Password(settings.Password);
                    host.PublisherConfirmation = true;
                });
                rabbit.CapReconnectDelay(settings.ReconnectMaxDelay);
                rabbit.ConfigureJsonSerializerOptions(ContractJson.Configure);
                rabbit.UseConsumeFilter(typeof(TrainingLogContextFilter<>), context);
                rabbit.ConfigureEndpoints(context);
            });
        });
        return services;
    }

    public static IHostApplicationBuilder AddPipelineLogging(this IHostApplicationBuilder builder, string serviceName)
    {
        var folder = builder.Configuration["Logs:Folder"];
        // Each host keeps its own logger, not the static one: a process holding several hosts (a test, the chaos bench)
        // would otherwise write every host's events through whichever host was built last, and lose them when it stops.
        builder.Services.AddSerilog(logger =>
        {
            // The defaults first, so that Serilog:MinimumLevel in the configuration overrides them (MassTransit at Debug
            // to see its reconnects, say).
            logger.MinimumLevel.Information()
                .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
                .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
                .MinimumLevel.Override("Marten", LogEventLevel.Warning)
                .ReadFrom.Configuration(builder.Configuration)
                .Enrich.FromLogContext()
                .Enrich.WithProperty("Service", serviceName)
                .WriteTo.Console(outputTemplate: LogTemplate);
            if (!string.IsNullOrEmpty(folder))
            {
                logger.WriteTo.File(Path.Combine(folder, $"{serviceName}-.log"), outputTemplate: LogTemplate,
                    rollingInterval: RollingInterval.Day, shared: true);
            }
        }, preserveStaticLogger: true);
        return builder;
    }
}
