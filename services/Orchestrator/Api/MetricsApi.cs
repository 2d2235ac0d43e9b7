namespace Pipeline.Orchestrator.Api;

/// <summary>
/// <c>GET /metrics</c> for Prometheus (a viewer's token): MassTransit's and the pipeline's instruments of this
/// Orchestrator, and how many trainings are in each state (<see cref="TrainingsByState"/>).
/// </summary>
public static class MetricsApi
{
    public static IServiceCollection AddMetricsApi(this IServiceCollection services) =>
        services.AddSingleton<TrainingsByState>().AddMetricsEndpoint();

    public static WebApplication MapMetrics(this WebApplication app)
    {
        // Created now, not at the first scrape: its gauge is registered when it is made.
        app.Services.GetRequiredService<TrainingsByState>();
        return app.MapMetricsEndpoint();
    }
}
