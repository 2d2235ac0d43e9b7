using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.DetectorNode.Models;
using Pipeline.DetectorNode.Outbox;

namespace Pipeline.DetectorNode.Tests;

/// <summary>
/// A detector node run in this process exactly as its Program.cs runs it, on a loopback port of its own, against the
/// real RabbitMQ (from PIPELINE_RABBITMQ_*, as <c>scripts/infra.sh env</c> prints them) and an artifact store folder.
/// </summary>
public sealed class NodeHost : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = ContractJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>DetectorNode:OperatorTokens and ViewerTokens of every test node; <see cref="Client"/> sends the operator's.</summary>
    public const string OperatorToken = "node-operator-s3cret", ViewerToken = "node-viewer-s3cret";

    private readonly WebApplication app;

    private NodeHost(WebApplication app, string outboxFolder)
    {
        this.app = app;
        OutboxFolder = outboxFolder;
        Address = new Uri(app.Urls.First());
        Client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperatorToken);
    }

    public Uri Address { get; }
    public HttpClient Client { get; }
    public string OutboxFolder { get; }
    public IServiceProvider Services => app.Services;
    public ServedModels Models => app.Services.GetRequiredService<ServedModels>();
    public UncertainOutbox Outbox => app.Services.GetRequiredService<UncertainOutbox>();

    /// <summary>The settings every test node shares; <paramref name="settings"/> adds to or overrides them.</summary>
    public static async Task<NodeHost> StartAsync(
        string artifactRoot, Uri statusApi, string organization, string project, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var outbox = Directory.CreateTempSubdirectory("detector-node-outbox-").FullName;
        var environment = Environment.GetEnvironmentVariables();
        string Env(string name, string fallback) => environment[name] as string is { Length: > 0 } value ? value : fallback;
        var configuration = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Artifacts:Root"] = artifactRoot,
            ["RabbitMq:Host"] = Env("PIPELINE_RABBITMQ_HOST", "127.0.0.1"),
            ["RabbitMq:Port"] = Env("PIPELINE_RABBITMQ_PORT", "5672"),
            ["RabbitMq:Username"] = Env("PIPELINE_RABBITMQ_USER", "pipeline"),
            ["RabbitMq:Password"] = Env("PIPELINE_RABBITMQ_PASSWORD", "pipeline"),
            ["DetectorNode:Organization"] = organization,
            ["DetectorNode:Project"] = project,
            ["DetectorNode:StatusApi"] = statusApi.ToString(),
            ["DetectorNode:Device"] = "cpu",
            // An 80-iteration model is unsure of much: report what it finds from 0.05 up, so every test image has detections.
            ["DetectorNode:MinConfidence"] = "0.05",
            ["DetectorNode:OutboxFolder"] = outbox,
            ["DetectorNode:RetryInterval"] = "00:00:00.200",
            ["DetectorNode:OperatorTokens:0"] = OperatorToken,
            ["DetectorNode:ViewerTokens:0"] = ViewerToken,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddDetectorNode();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.UseDetectorNode();
        await app.StartAsync();
        // The node's promotion queue is bound once the bus is healthy: a promotion published before would miss it.
        await app.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(60));
        return new NodeHost(app, outbox);
    }

    /// <summary>Publishes on the node's bus: through the broker's exchange, to every node's queue.</summary>
    public Task PublishAsync(ModelPromoted promoted) => app.Services.GetRequiredService<IBus>().Publish(promoted);

    public async Task WaitUntilServingAsync(int version, TimeSpan? within = null) =>
        await Eventually.TrueAsync(() => Models.Current?.Version == version, within ?? TimeSpan.FromSeconds(60),
            () => $"the node serves version {Models.Current?.Version.ToString() ?? "none"}, not {version}");

    public static MultipartFormDataContent Form(params string[] paths)
    {
        var form = new MultipartFormDataContent();
        foreach (var path in paths)
        {
            form.Add(ImageContent(File.ReadAllBytes(path)), "image", Path.GetFileName(path));
        }

        return form;
    }

    public static ByteArrayContent ImageContent(byte[] bytes, string type = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<T>(Json) ?? throw new InvalidDataException("the node answered JSON null");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        Directory.Delete(OutboxFolder, recursive: true);
    }
}

/// <summary>Waits for a condition with a bound, never for a fixed time.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan within, Func<string> failure)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not within {within}: {failure()}");
            }

            await Task.Delay(20);
        }
    }
}
