using MassTransit;
using Pipeline.Hosting;
using Pipeline.Storage;
using Pipeline.Outbox;
using Pipeline.Uploader;
using Pipeline.Uploader.Consumers;
using Pipeline.Uploader.Detections;
using Pipeline.Uploader.Registry;

var builder = Host.CreateApplicationBuilder(args);
builder.AddPipelineDefaults("uploader", bus =>
{
    bus.AddConsumer<UploadModelConsumer, UploadModelConsumerDefinition>();
    bus.AddConsumer<UploadDetectionsConsumer, UploadDetectionsConsumerDefinition>();
    bus.AddConsumer<PromoteModelConsumer, PromoteModelConsumerDefinition>();
});
builder.AddPipelineMarten(UploaderDocuments.Configure);
// What the Uploader announces commits with what it stores; the relay delivers it.
builder.Services.AddTransactionalOutbox(builder.Configuration);
builder.Services.AddSingleton<ModelRegistrar>();
builder.Services.AddSingleton<ModelPromoter>();
builder.Services.Configure<UploaderSettings>(builder.Configuration.GetSection(UploaderSettings.Section));
builder.Services.AddSingleton<DetectionRecorder>();
var host = builder.Build();
if (!await host.ApplySchemaWhenAskedAsync(args))
{
    await host.RunAsync();
}
