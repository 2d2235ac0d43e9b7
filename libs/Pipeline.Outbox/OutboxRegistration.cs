using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pipeline.Hosting;
using Pipeline.Storage;

namespace Pipeline.Outbox;

public static class OutboxRegistration
{
    /// <summary>The outbox and inbox tables, and the relay that delivers them when <paramref name="deliver"/> and <c>Outbox:Deliver</c> say so.</summary>
    public static IServiceCollection AddTransactionalOutbox(this IServiceCollection services, IConfiguration configuration, bool deliver = true)
    {
        var section = configuration.GetSection(OutboxSettings.Section);
        services.Configure<OutboxSettings>(section);
        services.TryAddSingleton(TimeProvider.System);
        // The outbox marks each row with its writer's service and delivers only its own: that name is the hosting library's.
        services.TryAddSingleton<ServiceIdentity>(_ => throw new InvalidOperationException(
            "The transactional outbox needs the service's name: call AddPipelineDefaults(\"<service>\", …) before AddTransactionalOutbox."));
        services.AddSingleton<OutboxStore>();
        services.AddSingleton<IStorageSchema>(provider => provider.GetRequiredService<OutboxStore>());
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxDelivery>();
        if (deliver && (section.Get<OutboxSettings>() ?? new OutboxSettings()).Deliver)
        {
            services.AddHostedService<OutboxRelay>();
        }

        return services;
    }
}
