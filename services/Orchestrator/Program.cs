using Pipeline.Contracts;
using Pipeline.Storage;
using Pipeline.Orchestrator;
using Pipeline.Orchestrator.Api;
using Pipeline.Orchestrator.Dashboard;

var builder = WebApplication.CreateBuilder(args);

// Serilog, the bus with the training saga, Marten with the saga's documents, the stage watchdog.
builder.AddOrchestrator();
builder.Services.AddHealthChecks().AddPostgresReadiness();
builder.Services.ConfigureHttpJsonOptions(json => ContractJson.Configure(json.SerializerOptions));
builder.Services.AddStatusApiSettings(builder.Configuration);
builder.Services.AddMetricsApi();

var app = builder.Build();
if (await app.ApplySchemaWhenAskedAsync(args))
{
    return;
}

app.UseApiAccess();
app.MapStatusApi();
app.MapTrainingActions();
app.MapQueues();
app.MapMetrics();
app.MapSamples();
app.MapDashboard();
await app.RunAsync();
