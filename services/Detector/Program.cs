using MassTransit;
using Microsoft.Extensions.Options;
using Pipeline.Datasets.Images;
using Pipeline.Detector;
using Pipeline.Detector.Consumers;
using Pipeline.Detector.Detection;
using Pipeline.Hosting;
using Pipeline.Vision;

var builder = Host.CreateApplicationBuilder(args);
builder.AddPipelineDefaults("detector", bus =>
{
    bus.AddConsumer<DetectImagesConsumer, DetectImagesConsumerDefinition>();
    bus.AddConsumer<DropDetectionsConsumer, DropDetectionsConsumerDefinition>();
});
builder.Services.Configure<DetectorSettings>(builder.Configuration.GetSection(DetectorSettings.Section));
builder.Services.AddSingleton(services =>
{
    var settings = services.GetRequiredService<IOptions<DetectorSettings>>().Value;
    TorchDevice.SetThreads(settings.Threads);
    return new DetectionDevice(TorchDevice.Select(settings.Device));
});
builder.Services.AddSingleton<ModelCache>();
builder.Services.AddSingleton<BatchDetection>();
BoundedImageDecoder.Limits = ImageLimits.From(builder.Configuration);
builder.Build().Run();
