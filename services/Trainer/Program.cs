using Microsoft.Extensions.Options;
using MassTransit;
using Pipeline.Datasets.Images;
using Pipeline.Hosting;
using Pipeline.Trainer;
using Pipeline.Trainer.Consumers;
using Pipeline.Trainer.Training;
using Pipeline.Vision;
using Pipeline.Vision.Training;

var builder = Host.CreateApplicationBuilder(args);
builder.AddPipelineDefaults("trainer", bus =>
{
    bus.AddConsumer<TrainModelConsumer, TrainModelConsumerDefinition>();
    bus.AddConsumer<CancelTrainingConsumer, CancelTrainingConsumerDefinition>();
    bus.AddConsumer<DropTrainerScratchConsumer, DropTrainerScratchConsumerDefinition>();
});
builder.Services.Configure<TrainerSettings>(builder.Configuration.GetSection(TrainerSettings.Section));
builder.Services.AddSingleton(services =>
{
    var settings = services.GetRequiredService<IOptions<TrainerSettings>>().Value;
    TorchDevice.SetThreads(settings.Threads);
    DecodedImages.BudgetBytes = (long)settings.DecodedImageBudgetMiB << 20;
    return new TrainingDevice(TorchDevice.Select(settings.Device));
});
builder.Services.AddSingleton<RunningTrainings>();
builder.Services.AddSingleton<TrainingLeases>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ModelTraining>();
BoundedImageDecoder.Limits = ImageLimits.From(builder.Configuration);
builder.Build().Run();
