using MassTransit;
using Microsoft.Extensions.Options;
using Pipeline.Datasets.Images;
using Pipeline.Downloader;
using Pipeline.Downloader.Consumers;
using Pipeline.Downloader.Datasets;
using Pipeline.Downloader.Http;
using Pipeline.Downloader.Models;
using Pipeline.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddPipelineDefaults("downloader", bus =>
{
    bus.AddConsumer<DownloadTrainingDataConsumer, DownloadTrainingDataConsumerDefinition>();
    bus.AddConsumer<DownloadBaseModelConsumer, DownloadBaseModelConsumerDefinition>();
    bus.AddConsumer<DropDownloadedDataConsumer, DropDownloadedDataConsumerDefinition>();
});
builder.Services.Configure<DownloaderSettings>(builder.Configuration.GetSection(DownloaderSettings.Section));
builder.Services.AddHttpClient(DatasetSource.HttpClientName)
    .ConfigurePrimaryHttpMessageHandler(services => DatasetHttpHandler.Create(services.GetRequiredService<IOptions<DownloaderSettings>>().Value))
    .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan);
builder.Services.AddSingleton<DatasetSource>();
builder.Services.AddSingleton<DatasetImporter>();
builder.Services.AddSingleton<BaseModelFetcher>();
BoundedImageDecoder.Limits = ImageLimits.From(builder.Configuration);
builder.Build().Run();
