using Marten;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pipeline.Hosting;
using Pipeline.Orchestrator.Dashboard;
using Pipeline.Storage;
using Pipeline.Registry;
using Pipeline.Orchestrator.Outbox;
using Pipeline.Outbox;
using Pipeline.Orchestrator.Persistence;
using Pipeline.Orchestrator.Recovery;
using Pipeline.Orchestrator.Watchdog;

namespace Pipeline.Orchestrator;

/// <summary>The Orchestrator's parts, shared by Program.cs, the saga tests and the integration tests.</summary>
public static class OrchestratorRegistration
{
    /// <summary>
    /// The Orchestrator without its web face: logging and the bus with the saga (hosting defaults), the saga's
    /// documents in Marten, and the stage watchdog. <paramref name="configureMarten"/> runs last (tests pick a schema).
    /// </summary>
    public static IHostApplicationBuilder AddOrchestrator(this IHostApplicationBuilder builder, Action<StoreOptions>? configureMarten = null)
    {
        builder.AddPipelineDefaults("orchestrator", bus =>
        {
            bus.AddTrainingSaga();
            bus.AddLiveEvents();
        });
        builder.Services.AddSingleton<LiveTrainingEvents>();
        builder.AddPipelineMarten(options =>
        {
            TrainingStateDocument.Configure(options);
            ModelRegistryDocuments.Configure(options);
            configureMarten?.Invoke(options);
        });
        builder.Services.AddSingleton<ModelRegistryReader>();
        builder.Services.AddTrainingSagaServices(builder.Configuration);
        builder.Services.AddSagaOutbox(builder.Configuration);
        builder.Services.AddHostedService<StageWatchdog>();
        builder.Services.Configure<SagaRecoverySettings>(builder.Configuration.GetSection(SagaRecoverySettings.Section));
        builder.Services.AddSingleton<SagaErrorRecovery>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SagaErrorRecovery>());
        return builder;
    }

    /// <summary>Settings and the services the state machine is built from.</summary>
    public static IServiceCollection AddTrainingSagaServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<StageSettings>(stages => stages.Read(configuration.GetSection(StageSettings.Section)));
        services.Configure<DetectionSettings>(configuration.GetSection(DetectionSettings.Section));
        services.Configure<WatchdogSettings>(configuration.GetSection(WatchdogSettings.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StageDispatcher>();
        services.TryAddSingleton(typeof(SagaInstanceCache<>));
        return services;
    }

    /// <summary>The outbox and inbox, with the relay unless Outbox:Enabled (the benchmark's baseline) or Outbox:Deliver is off.</summary>
    public static IServiceCollection AddSagaOutbox(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(OutboxSettings.Section).Get<OutboxSettings>() ?? new OutboxSettings();
        services.AddTransactionalOutbox(configuration, deliver: settings.Enabled);
        // Rows from before each row named its writer: the Orchestrator's account may send every one of them (the stage
        // commands only it sends, and events, which every service may publish), the Uploader's could not.
        services.PostConfigure<OutboxSettings>(outbox => outbox.DeliversUnowned = true);
        services.AddSingleton<SagaOutbox>();
        return services;
    }

    /// <summary>Transitions and progress on a temporary queue of this process's own, for its dashboard's live stream.</summary>
    public static void AddLiveEvents(this IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<LiveEventsConsumer>().Endpoint(endpoint =>
        {
            endpoint.Name = $"live-events-{NewId.NextGuid():N}";
            endpoint.Temporary = true;
        });

    /// <summary>The saga on its endpoint, stored in Marten.</summary>
    public static void AddTrainingSaga(this IBusRegistrationConfigurator bus) =>
        bus.AddSagaStateMachine<TrainingStateMachine, TrainingState, TrainingStateDefinition>()
            .MartenRepository();
}
