using System.Diagnostics.Metrics;
using Pipeline.Contracts;
using Marten;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pipeline.Bench.Orchestration.Messaging;
using Pipeline.Bench.Orchestration.Workers;
using Pipeline.Hosting;
using Pipeline.Hosting.Messaging;
using Pipeline.Orchestrator;
using Pipeline.Outbox;

namespace Pipeline.Bench.Orchestration;

/// <summary>
/// Three hosts in this process, each with its own bus (its own RabbitMQ connection), as three services would be:
/// the Orchestrator exactly as its Program.cs builds it; the instant stage workers with the client; the ping echo.
/// </summary>
public static class BenchHosts
{
    /// <summary>Logging at Warning: a log line per message would be measured as orchestration.</summary>
    private static readonly Dictionary<string, string?> QuietLogging = new()
    {
        ["Serilog:MinimumLevel:Default"] = "Warning",
        ["Serilog:MinimumLevel:Override:Pipeline"] = "Warning",
        ["Serilog:MinimumLevel:Override:System"] = "Warning",
        ["Serilog:MinimumLevel:Override:Npgsql"] = "Warning",
        ["Serilog:MinimumLevel:Override:JasperFx"] = "Warning",
        ["Serilog:MinimumLevel:Override:Weasel"] = "Warning",
        ["Logs:Folder"] = "",
    };

    /// <summary>
    /// The Orchestrator's settings: its appsettings.json, this run's servers, the bench's --set overrides, then the
    /// outbox mode of this run when it compares them.
    /// </summary>
    public static IConfiguration OrchestratorSettings(BenchInfrastructure infrastructure, BenchOptions options, bool? outbox) =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "orchestrator.appsettings.json"), optional: false)
            .AddInMemoryCollection(infrastructure.ServiceSettings())
            .AddInMemoryCollection(QuietLogging)
            .AddInMemoryCollection(options.Overrides)
            .AddInMemoryCollection(outbox is { } enabled
                ? [new($"{OutboxSettings.Section}:{nameof(OutboxSettings.Enabled)}", enabled.ToString())]
                : [])
            .Build();

    public static IHost Orchestrator(BenchInfrastructure infrastructure, IConfiguration settings)
    {
        var builder = NewBuilder("Pipeline.Orchestrator");
        builder.Configuration.AddConfiguration(settings);
        builder.AddOrchestrator(options => options.DatabaseSchemaName = infrastructure.Schema);
        return builder.Build();
    }

    /// <summary>The six instant workers on the stage queues, and the client: the training watcher and the pong consumer.</summary>
    public static IHost WorkersAndClient(BenchInfrastructure infrastructure, BenchOptions options, Waiters waiters)
    {
        var builder = NewBuilder("bench-workers");
        var endpoints = new Dictionary<string, string?>();
        // Instant workers must never be what the saga waits for: wide endpoints, unlike the real services'.
        foreach (var queue in StageQueues.All.Where(queue => queue != StageQueues.Training).Append(TrainingWatcher.Queue).Append(PongConsumer.Queue))
        {
            endpoints[$"{EndpointSettings.Section}:{queue}:PrefetchCount"] = "128";
            endpoints[$"{EndpointSettings.Section}:{queue}:ConcurrentMessageLimit"] = "64";
        }

        builder.Configuration.AddInMemoryCollection(infrastructure.ServiceSettings()).AddInMemoryCollection(QuietLogging).AddInMemoryCollection(endpoints);
        builder.Services.AddSingleton(waiters);
        builder.Services.AddSingleton(new InstantAnswers(options.DetectionImages));
        builder.AddPipelineDefaults("bench-workers", bus =>
        {
            bus.AddInstantWorkers();
            bus.AddConsumer<TrainingWatcher>().Endpoint(e => e.Name = TrainingWatcher.Queue);
            bus.AddConsumer<PongConsumer>().Endpoint(e => e.Name = PongConsumer.Queue);
        });
        return builder.Build();
    }

    /// <summary>The raw round trip's far end, with the saga endpoint's prefetch and concurrency so the two compare.</summary>
    public static IHost Echo(BenchInfrastructure infrastructure, IConfiguration orchestratorSettings)
    {
        var builder = NewBuilder("bench-echo");
        var saga = orchestratorSettings.GetSection($"{EndpointSettings.Section}:{StageQueues.Training}").Get<EndpointSettings>() ?? new EndpointSettings();
        builder.Configuration.AddInMemoryCollection(infrastructure.ServiceSettings()).AddInMemoryCollection(QuietLogging)
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{EndpointSettings.Section}:{PingConsumer.Queue}:PrefetchCount"] = saga.PrefetchCount?.ToString(),
                [$"{EndpointSettings.Section}:{PingConsumer.Queue}:ConcurrentMessageLimit"] = saga.ConcurrentMessageLimit?.ToString(),
            });
        builder.AddPipelineDefaults("bench-echo", bus => bus.AddConsumer<PingConsumer>().Endpoint(e => e.Name = PingConsumer.Queue));
        return builder.Build();
    }

    /// <summary>Starts the hosts and waits until every bus is connected and its endpoints are ready.</summary>
    public static async Task StartAsync(IHost orchestrator, params IHost[] others)
    {
        // The saga's tables exist before the first message, so the first training does not pay for creating them.
        await orchestrator.Services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        foreach (var host in others.Prepend(orchestrator))
        {
            await host.StartAsync();
            await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>
    /// One meter factory for every host of the process. MassTransit creates its instruments once per process, from the
    /// meter factory of the first bus that starts; a host's own factory disposes those meters with the host, and every
    /// later run (the second outbox mode) then measured nothing: no saga messages, NaN ms in the saga. A factory no
    /// host owns lives as long as the process.
    /// </summary>
    private static readonly IMeterFactory ProcessMeters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    // No appsettings.json of the bench's own, no default logging: every setting is the ones given above.
    private static HostApplicationBuilder NewBuilder(string name)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true, ApplicationName = name, ContentRootPath = AppContext.BaseDirectory, EnvironmentName = Environments.Production,
        });
        // Registered as an instance, so the host's container never disposes it.
        builder.Services.AddSingleton(ProcessMeters);
        return builder;
    }
}
