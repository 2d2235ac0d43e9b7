using System.Linq.Expressions;
using MassTransit;
using Pipeline.Contracts;
using Pipeline.Outbox;

namespace Pipeline.Orchestrator;

/// <summary>
/// The learning loop: one training from <see cref="Contracts.BeginTraining"/> to Completed, each stage's work done
/// by its own service. Every result names the attempt it answers; only the current attempt's result counts.
/// </summary>
public sealed class TrainingStateMachine : MassTransitStateMachine<TrainingState>
{
    public TrainingStateMachine(StageDispatcher dispatcher)
    {
        InstanceState(x => x.CurrentState);
        ConnectStateObserver(new TrainingHistoryObserver(dispatcher.Clock, StagesWithWorker, nameof(Failed)));

        Event(() => BeginTraining, e => e.CorrelateById(m => m.Message.TrainingId));
        Correlate(() => TrainingDataDownloaded, m => m.Message.TrainingId);
        Correlate(() => BaseModelDownloaded, m => m.Message.TrainingId);
        Correlate(() => TrainingProgressed, m => m.Message.TrainingId);
        Correlate(() => TrainingMetricsImproved, m => m.Message.TrainingId);
        Correlate(() => ModelTrained, m => m.Message.TrainingId);
        Correlate(() => ModelUploaded, m => m.Message.TrainingId);
        Correlate(() => ImagesDetected, m => m.Message.TrainingId);
        Correlate(() => DetectionsUploaded, m => m.Message.TrainingId);
        Correlate(() => DownloadTrainingDataFaulted, m => m.Message.Message.TrainingId);
        Correlate(() => DownloadBaseModelFaulted, m => m.Message.Message.TrainingId);
        Correlate(() => TrainModelFaulted, m => m.Message.Message.TrainingId);
        Correlate(() => UploadModelFaulted, m => m.Message.Message.TrainingId);
        Correlate(() => DetectImagesFaulted, m => m.Message.Message.TrainingId);
        Correlate(() => UploadDetectionsFaulted, m => m.Message.Message.TrainingId);
        Correlate(() => StageTimedOut, m => m.Message.TrainingId);
        Correlate(() => StageStarted, m => m.Message.TrainingId);
        Correlate(() => FailedTrainingExpired, m => m.Message.TrainingId);
        Correlate(() => CancelTraining, m => m.Message.TrainingId);
        Correlate(() => StopTraining, m => m.Message.TrainingId);
        Correlate(() => RetryTraining, m => m.Message.TrainingId);

        // A late or duplicate event that a state does not expect is dropped, never faulted and redelivered forever.
        OnUnhandledEvent(context => context.Ignore());

        // A BeginTraining that cannot begin still makes a training, failed at Initialized with the reason: the user
        // finds it where they look for their trainings, not as a count in training-state_error.
        Initially(
            When(BeginTraining, context => context.Message.TrainingId != Guid.Empty)
                .Then(context => context.Saga.Begin(context.Message, dispatcher.Clock.GetUtcNow()))
                .TransitionTo(Initialized)
                .IfElse(context => BeginTrainingValidation.Problem(context.Message) is null,
                    valid => valid.StartStage(DataDownloading, dispatcher),
                    invalid => invalid.FailStage(Failed, context => BeginTrainingValidation.Problem(context.Message)!)));

        // Results count in their stage, and in Failed when they answer the failed stage's attempt: a command
        // replayed from its _error queue answers with that attempt and brings the training back on its way.
        During(DataDownloading, Failed,
            When(TrainingDataDownloaded, context => context.Saga.IsAnswerTo(context.Message.Attempt, nameof(DataDownloading)))
                .ResumeFailedStage(this)
                .Then(context => context.Saga.RecordDataset(context.Message))
                .TransitionTo(DataDownloaded)
                .IfElse(context => context.Saga.BaseModelId is not null,
                    continuing => continuing.StartStage(TrainModelDownloading, dispatcher),
                    fromScratch => fromScratch.StartStage(TrainingRunning, dispatcher)));

        During(TrainModelDownloading, Failed,
            When(BaseModelDownloaded, context => context.Saga.IsAnswerTo(context.Message.Attempt, nameof(TrainModelDownloading)))
                .ResumeFailedStage(this)
                .Then(context => context.Saga.BaseModelKey = context.Message.ModelKey)
                .TransitionTo(TrainModelDownloaded)
                .StartStage(TrainingRunning, dispatcher));

        During(TrainingRunning, Failed,
            When(TrainingProgressed, context => context.Saga.IsAnswerTo(context.Message.Attempt, nameof(TrainingRunning)))
                .ResumeFailedStage(this)
                .Then(context => context.Saga.RecordProgress(context.Message, dispatcher.Clock.GetUtcNow()))
                .Heartbeat(dispatcher),
            When(TrainingMetricsImproved, context => context.Saga.IsAnswerTo(context.Message.Attempt, nameof(TrainingRunning)))
                .ResumeFailedStage(this)
                .Then(context => context.Saga.BestMetrics = context.Message.Metrics)
                .Heartbeat(dispatcher),
            When(ModelTrained, context => context.Saga.IsAnswerTo(context.Message.Attempt, nameof(TrainingRunning)))
                .ResumeFailedStage(this)
                .Then(context =>
                {
                    context.Saga.TrainedModelKey = context.Message.ModelKey;
                    context.Saga.TrainedAttempt = context.Message.Attempt;
                    context.Saga.StoppedAtIteration = context.Message.StoppedAtIteration;
                    context.Saga.CurrentModelEvaluation = context.Message.CurrentModel;
                })
                .TransitionTo(TrainingFinished)
                .TransitionTo(ConfusionMatrixSyncing)
                // The Trainer hands over its best checkpoint: its metrics are the model's, and what gets registered.
                .Then(context => context.Saga.BestMetrics = context.Message.Metrics)
                .TransitionTo(ConfusionMatrixSynced)
                .StartStage(TrainModelUploading, dispatcher));

        During(TrainModelUploading, Failed,
            When(ModelUploaded, context => context.Saga.IsAnswerTo(context.Message.Attempt, nameof(TrainModelUploading)))
                .ResumeFailedStage(this)
                .Then(context => context.Saga.RecordModel(context.Message))
                .TransitionTo(TrainModelUploaded)
                .IfElse(context => context.Saga.HasImagesToDetect(),
                    detect => detect.StartStage(Detecting, dispatcher),
                    nothingToDetect => nothingToDetect.Finish(ReadyForCleanup, Completed)));

        During(Detecting, Failed,
            // A batch that faulted failed the attempt once; the other batches' reports are still kept while Failed, and
            // only the last missing one (a replayed batch) brings the training back: it never flips to and fro.
            When(ImagesDetected, context => context.Saga.IsAnswerTo(context.Message.Attempt, nameof(Detecting)))
                .Then(context => context.Saga.RecordBatch(context.Message))
                .Heartbeat(dispatcher)
                .If(context => context.Saga.AllBatchesDetected(),
                    allReported => allReported
                        .ResumeFailedStage(this)
                        .TransitionTo(Detected)
                        .StartStage(DetectionUploading, dispatcher)));

        During(DetectionUploading, Failed,
            When(DetectionsUploaded, context => context.Saga.IsAnswerTo(context.Message.Attempt, nameof(DetectionUploading)))
                .ResumeFailedStage(this)
                .Then(context => context.Saga.RecordExport(context.Message))
                .Finish(ReadyForCleanup, Completed));

        // Stop ends the training early and keeps it; in any other state there is no training to stop (ignored).
        During(TrainingRunning,
            When(StopTraining)
                .Then(context =>
                {
                    context.Saga.StopRequestedForAttempt = context.Saga.Attempt;
                    context.Saga.StopReason = context.Message.Reason;
                })
                .RequestStop());

        // A fault counts only in its own stage: a replayed command that faults again leaves the training Failed as it is.
        During(DataDownloading,
            When(DownloadTrainingDataFaulted, context => context.Message.Message.Attempt == context.Saga.Attempt).FailOnFault(Failed));
        During(TrainModelDownloading,
            When(DownloadBaseModelFaulted, context => context.Message.Message.Attempt == context.Saga.Attempt).FailOnFault(Failed));
        During(TrainingRunning,
            When(TrainModelFaulted, context => context.Message.Message.Attempt == context.Saga.Attempt).FailOnFault(Failed));
        During(TrainModelUploading,
            When(UploadModelFaulted, context => context.Message.Message.Attempt == context.Saga.Attempt).FailOnFault(Failed));
        During(Detecting,
            When(DetectImagesFaulted, context => context.Message.Message.Attempt == context.Saga.Attempt).FailOnFault(Failed));
        During(DetectionUploading,
            When(UploadDetectionsFaulted, context => context.Message.Message.Attempt == context.Saga.Attempt).FailOnFault(Failed));

        During(StagesWithWorker.Select(GetState).ToArray(),
            // The watchdog read the deadline outside this transaction: it counts only if the stage, the attempt and a
            // passed deadline are still what the training shows now.
            When(StageTimedOut, context => context.Message.Attempt == context.Saga.Attempt && context.Message.Stage == context.Saga.CurrentState
                    && context.Saga.StageDeadline <= dispatcher.Clock.GetUtcNow())
                .IfElse(context => context.Saga.StageStartedAt is not null,
                    silent => silent.SendAgainOrGiveUp(Failed, dispatcher, context =>
                        $"{context.Saga.CurrentState} was sent {context.Saga.SilentDispatches + 1} times and fell silent each time for " +
                        $"{dispatcher.Stages.TimeoutOf(context.Saga.CurrentState)}; gave up after Stages:MaxAttempts = {dispatcher.Stages.MaxAttempts}."),
                    neverStarted => neverStarted.IfElse(context => context.Message.CommandsWaiting is null,
                        queueTimedOut => queueTimedOut.FailStage(Failed, context =>
                            $"No worker took {TrainingStages.Find(context.Saga.CurrentState)!.Command.Name} from the queue " +
                            $"'{TrainingStages.Find(context.Saga.CurrentState)!.Queue}' within {dispatcher.Stages.QueueTimeoutOf(context.Saga.CurrentState)} " +
                            $"(Stages:{context.Saga.CurrentState}:QueueTimeout): is its service running?"),
                        // No queue timeout: waiting behind other commands is fine for ever; a command gone from its queue is not.
                        mayWaitForEver => mayWaitForEver.IfElse(context => context.Message.CommandsWaiting > 0,
                            waiting => waiting.Then(context => dispatcher.KeepWaiting(context.Saga)),
                            lost => lost.SendAgainOrGiveUp(Failed, dispatcher, context =>
                                $"{TrainingStages.Find(context.Saga.CurrentState)!.Command.Name} was gone from the queue " +
                                $"'{TrainingStages.Find(context.Saga.CurrentState)!.Queue}' without a start {context.Saga.SilentDispatches + 1} times; " +
                                $"gave up after Stages:MaxAttempts = {dispatcher.Stages.MaxAttempts}.")))),
            When(CancelTraining)
                .Cancel(Cancelled));

        // A worker's start of the current attempt starts the silence deadline; a start of any other attempt (a stale copy
        // that waited in the queue, or one replaced by a retry) is told to stop, so no training is worked on twice at once.
        DuringAny(
            When(StageStarted)
                .IfElse(context => context.Saga.IsAnswerTo(context.Message.Attempt, context.Message.Stage),
                    // A start is not progress: a worker that starts and dies each time still counts as silent.
                    current => current.If(context => context.Saga.CurrentState == context.Message.Stage,
                        running => running
                            .Then(context => dispatcher.PushDeadline(context.Saga))
                            // A Trainer that starts a stopped attempt over (the first one died) is told again.
                            .If(context => context.Message.Stage == nameof(TrainingRunning) && context.Saga.StopRequestedForAttempt == context.Saga.Attempt,
                                stopping => stopping.RequestStop())),
                    stale => stale.ThenAsync(context => context.PublishDurably(new StageAttemptSuperseded
                    {
                        TrainingId = context.Saga.CorrelationId, Stage = context.Message.Stage,
                        Attempt = context.Message.Attempt, CurrentAttempt = context.Saga.Attempt,
                    }))));

        During(Failed,
            // A training that failed at Initialized has no stage to send again: its BeginTraining was invalid. One whose scratch
            // is dropped has no input left, and the workers acknowledge its commands without running them (ArtifactKeys.Ended).
            When(RetryTraining, context => context.Saga.FailedStage != nameof(Initialized) && context.Saga.ScratchDroppedAt is null)
                .RetryFailedStage(this, dispatcher),
            // Kept for a retry or a replay until Stages:FailedRetention has passed since it failed; then its scratch goes.
            When(FailedTrainingExpired, context => context.Saga.UpdatedAt + dispatcher.Stages.FailedRetention <= dispatcher.Clock.GetUtcNow())
                .DropScratch(),
            When(CancelTraining)
                .Cancel(Cancelled));

        // The last progress report can reach the saga after the result it preceded: it still goes on the curve.
        DuringAny(
            When(TrainingProgressed, context => context.Saga.IsLateReportOfTrainedAttempt(context.Message))
                .Then(context => context.Saga.RecordLateProgress(context.Message, dispatcher.Clock.GetUtcNow())));

        // A BeginTraining for a training that exists already is a duplicate: the training goes on as it was.
        DuringAny(
            Ignore(BeginTraining));
    }

    /// <summary>The states where a worker is busy and the watchdog keeps a deadline.</summary>
    public static readonly IReadOnlySet<string> StagesWithWorker = TrainingStages.All.Select(stage => stage.Running).ToHashSet();

    public State Initialized { get; private set; } = null!;
    public State DataDownloading { get; private set; } = null!;
    public State DataDownloaded { get; private set; } = null!;
    public State TrainModelDownloading { get; private set; } = null!;
    public State TrainModelDownloaded { get; private set; } = null!;
    public State TrainingRunning { get; private set; } = null!;
    public State TrainingFinished { get; private set; } = null!;
    public State ConfusionMatrixSyncing { get; private set; } = null!;
    public State ConfusionMatrixSynced { get; private set; } = null!;
    public State TrainModelUploading { get; private set; } = null!;
    public State TrainModelUploaded { get; private set; } = null!;
    public State Detecting { get; private set; } = null!;
    public State Detected { get; private set; } = null!;
    public State DetectionUploading { get; private set; } = null!;
    public State ReadyForCleanup { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Cancelled { get; private set; } = null!;

    public Event<BeginTraining> BeginTraining { get; private set; } = null!;
    public Event<TrainingDataDownloaded> TrainingDataDownloaded { get; private set; } = null!;
    public Event<BaseModelDownloaded> BaseModelDownloaded { get; private set; } = null!;
    public Event<TrainingProgressed> TrainingProgressed { get; private set; } = null!;
    public Event<TrainingMetricsImproved> TrainingMetricsImproved { get; private set; } = null!;
    public Event<ModelTrained> ModelTrained { get; private set; } = null!;
    public Event<ModelUploaded> ModelUploaded { get; private set; } = null!;
    public Event<ImagesDetected> ImagesDetected { get; private set; } = null!;
    public Event<DetectionsUploaded> DetectionsUploaded { get; private set; } = null!;
    public Event<Fault<DownloadTrainingData>> DownloadTrainingDataFaulted { get; private set; } = null!;
    public Event<Fault<DownloadBaseModel>> DownloadBaseModelFaulted { get; private set; } = null!;
    public Event<Fault<TrainModel>> TrainModelFaulted { get; private set; } = null!;
    public Event<Fault<UploadModel>> UploadModelFaulted { get; private set; } = null!;
    public Event<Fault<DetectImages>> DetectImagesFaulted { get; private set; } = null!;
    public Event<Fault<UploadDetections>> UploadDetectionsFaulted { get; private set; } = null!;
    public Event<StageTimedOut> StageTimedOut { get; private set; } = null!;
    public Event<StageStarted> StageStarted { get; private set; } = null!;
    public Event<FailedTrainingExpired> FailedTrainingExpired { get; private set; } = null!;
    public Event<CancelTraining> CancelTraining { get; private set; } = null!;
    public Event<StopTraining> StopTraining { get; private set; } = null!;
    public Event<RetryTraining> RetryTraining { get; private set; } = null!;

    // Everything but BeginTraining answers a training that exists; one for a training nobody began is discarded.
    private void Correlate<T>(Expression<Func<Event<T>>> @event, Func<ConsumeContext<T>, Guid> trainingId)
        where T : class =>
        Event(@event, e =>
        {
            e.CorrelateById(trainingId);
            e.OnMissingInstance(missing => missing.Discard());
        });
}
