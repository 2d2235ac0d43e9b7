using MassTransit;
using Pipeline.Contracts;

namespace Pipeline.Integration.Tests.Workers;

/// <summary>Every event and fault the workers publish, as this test process hears them.</summary>
public sealed class WorkerEvents
{
    private readonly List<(DateTime At, object Message)> messages = [];

    public void Add(object message)
    {
        lock (messages)
        {
            messages.Add((DateTime.UtcNow, message));
        }
    }

    public IReadOnlyList<T> Of<T>(Func<T, bool>? where = null)
    {
        lock (messages)
        {
            return messages.Select(m => m.Message).OfType<T>().Where(m => where?.Invoke(m) ?? true).ToList();
        }
    }

    public IReadOnlyList<T> Since<T>(DateTime since, Func<T, bool> where)
    {
        lock (messages)
        {
            return messages.Where(m => m.At >= since).Select(m => m.Message).OfType<T>().Where(where).ToList();
        }
    }
}

public sealed class WorkerEventRecorder(WorkerEvents events) :
    IConsumer<TrainingProgressed>,
    IConsumer<TrainingMetricsImproved>,
    IConsumer<ModelTrained>,
    IConsumer<ImagesDetected>,
    IConsumer<Fault<TrainModel>>,
    IConsumer<Fault<DetectImages>>,
    IConsumer<StageStarted>,
    IConsumer<TrainingDataDownloaded>,
    IConsumer<Fault<DownloadTrainingData>>,
    IConsumer<DetectionsUploaded>,
    IConsumer<Fault<UploadDetections>>
{
    public Task Consume(ConsumeContext<TrainingProgressed> context) => Record(context.Message);
    public Task Consume(ConsumeContext<TrainingMetricsImproved> context) => Record(context.Message);
    public Task Consume(ConsumeContext<ModelTrained> context) => Record(context.Message);
    public Task Consume(ConsumeContext<ImagesDetected> context) => Record(context.Message);
    public Task Consume(ConsumeContext<Fault<TrainModel>> context) => Record(context.Message);
    public Task Consume(ConsumeContext<Fault<DetectImages>> context) => Record(context.Message);
    public Task Consume(ConsumeContext<StageStarted> context) => Record(context.Message);
    public Task Consume(ConsumeContext<TrainingDataDownloaded> context) => Record(context.Message);
    public Task Consume(ConsumeContext<Fault<DownloadTrainingData>> context) => Record(context.Message);
    public Task Consume(ConsumeContext<DetectionsUploaded> context) => Record(context.Message);
    public Task Consume(ConsumeContext<Fault<UploadDetections>> context) => Record(context.Message);

    private Task Record(object message)
    {
        events.Add(message);
        return Task.CompletedTask;
    }
}
