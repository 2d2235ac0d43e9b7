using MassTransit;
using Pipeline.Hosting;
using Pipeline.Hosting.Storage;
using Pipeline.Uploader;
using Pipeline.Uploader.Consumers;
using Pipeline.Uploader.Detections;
using Pipeline.Uploader.Registry;

var builder = Host.CreateApplicationBuilder(args);
builder.AddPipelineDefaults("uploader", bus =>
{
    bus.AddConsumer<UploadModelConsumer, UploadModelConsumerDefinition>();
    bus.AddConsumer<UploadDetectionsConsumer, UploadDetectionsConsumerDefinition>();
});
builder.AddPipelineMarten(UploaderDocuments.Configure);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ModelRegistrar>();
builder.Services.AddSingleton<DetectionRecorder>();
builder.Build().Run();
