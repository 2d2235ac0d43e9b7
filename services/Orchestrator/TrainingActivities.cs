using MassTransit;
using Pipeline.Contracts;
using Pipeline.Outbox;

namespace Pipeline.Orchestrator;

/// <summary>What several states do alike, written once and read as one line in the state machine.</summary>
public static class TrainingActivities
{
    /// <summary>Enters a stage with its first attempt and sends its command.</summary>
    public static EventActivityBinder<TrainingState, T> StartStage<T>(
        this EventActivityBinder<TrainingState, T> binder, State stage, StageDispatcher dispatcher)
        where T : class =>
        binder
            .Then(context =>
            {
                context.Saga.Attempt = 1;
                context.Saga.SilentDispatches = 0;
                if (stage.Name == TrainingStates.Detecting)
                {
                    // A new model detects everything again: batches of an earlier pass do not count.
                    context.Saga.BatchCount = 0;
                    context.Saga.DetectedBatches.Clear();
                }
            })
            .TransitionTo(stage)
            .SendStage(dispatcher);

    /// <summary>Sends the command(s) of the stage the training is in now, with its current attempt.</summary>
    public static EventActivityBinder<TrainingState, T> SendStage<T>(
        this EventActivityBinder<TrainingState, T> binder, StageDispatcher dispatcher)
        where T : class =>
        binder.ThenAsync(context => dispatcher.Dispatch(context));

    /// <summary>Sends the stage again with the next attempt, so that answers to the earlier attempts are ignored.</summary>
    public static EventActivityBinder<TrainingState, T> SendStageAgain<T>(
        this EventActivityBinder<TrainingState, T> binder, StageDispatcher dispatcher)
        where T : class =>
        binder
            .SupersedeAttempt()
            .Then(context => context.Saga.Attempt++)
            .SendStage(dispatcher);

    /// <summary>A stage that fell silent (or whose command was lost) is sent again with the next attempt, until Stages:MaxAttempts.</summary>
    public static EventActivityBinder<TrainingState, T> SendAgainOrGiveUp<T>(
        this EventActivityBinder<TrainingState, T> binder, State failed, StageDispatcher dispatcher, Func<BehaviorContext<TrainingState, T>, string> reason)
        where T : class =>
        binder.IfElse(context => context.Saga.SilentDispatches + 1 >= dispatcher.Stages.MaxAttempts,
            giveUp => giveUp.FailStage(failed, reason),
            sendAgain => sendAgain
                .Then(context => context.Saga.SilentDispatches++)
                .SendStageAgain(dispatcher));

    /// <summary>Tells whoever may still run the current attempt that a newer one replaces it (a hung worker that kept its command).</summary>
    public static EventActivityBinder<TrainingState, T> SupersedeAttempt<T>(this EventActivityBinder<TrainingState, T> binder)
        where T : class =>
        binder.ThenAsync(context => context.PublishDurably(new StageAttemptSuperseded
        {
            TrainingId = context.Saga.CorrelationId, Stage = context.Saga.FailedStage ?? context.Saga.CurrentState,
            Attempt = context.Saga.Attempt, CurrentAttempt = context.Saga.Attempt + 1,
        }));

    /// <summary>A progress report: the worker is alive, so its stage gets its full timeout again.</summary>
    public static EventActivityBinder<TrainingState, T> Heartbeat<T>(
        this EventActivityBinder<TrainingState, T> binder, StageDispatcher dispatcher)
        where T : class =>
        binder.Then(context =>
        {
            context.Saga.SilentDispatches = 0;
            dispatcher.PushDeadline(context.Saga);
        });

    /// <summary>Keeps the error under the stage's name and moves to Failed, which remembers the stage for a retry.</summary>
    public static EventActivityBinder<TrainingState, T> FailStage<T>(
        this EventActivityBinder<TrainingState, T> binder, State failed, Func<BehaviorContext<TrainingState, T>, string> reason)
        where T : class =>
        binder
            .Then(context =>
            {
                var stage = context.Saga.CurrentState;
                context.Saga.FailedStage = stage;
                context.Saga.Errors[stage] = reason(context);
            })
            .TransitionTo(failed);

    /// <summary>A stage command ended in its queue's _error queue: the training fails there with the exception's message.</summary>
    public static EventActivityBinder<TrainingState, Fault<TCommand>> FailOnFault<TCommand>(
        this EventActivityBinder<TrainingState, Fault<TCommand>> binder, State failed)
        where TCommand : class =>
        binder.FailStage(failed, context =>
            context.Message.Exceptions.FirstOrDefault()?.Message ?? $"{typeof(TCommand).Name} faulted without an exception.");

    /// <summary>Goes back to the stage that failed and sends it again with the next attempt.</summary>
    public static EventActivityBinder<TrainingState, T> RetryFailedStage<T>(
        this EventActivityBinder<TrainingState, T> binder, StateMachine<TrainingState> machine, StageDispatcher dispatcher)
        where T : class =>
        binder
            .SupersedeAttempt()
            .Then(context =>
            {
                context.Saga.Attempt++;
                context.Saga.SilentDispatches = 0;
            })
            .ThenAsync(context => context.TransitionToState(machine.GetState(context.Saga.FailedStage!)))
            .SendStage(dispatcher);

    /// <summary>
    /// A result for the stage the training failed in (its command replayed from the _error queue) puts the
    /// training back in that stage first, so the history reads Failed → stage → onwards.
    /// </summary>
    public static EventActivityBinder<TrainingState, T> ResumeFailedStage<T>(
        this EventActivityBinder<TrainingState, T> binder, StateMachine<TrainingState> machine)
        where T : class =>
        binder.IfAsync(context => Task.FromResult(context.Saga.FailedStage is not null && context.Saga.CurrentState == TrainingState.FailedStateName),
            resume => resume.ThenAsync(context => context.TransitionToState(machine.GetState(context.Saga.FailedStage!))));

    /// <summary>Results are stored: every service may drop its scratch, and the training is done.</summary>
    public static EventActivityBinder<TrainingState, T> Finish<T>(
        this EventActivityBinder<TrainingState, T> binder, State readyForCleanup, State completed)
        where T : class =>
        binder
            .TransitionTo(readyForCleanup)
            .DropScratch()
            .TransitionTo(completed);

    /// <summary>Stops the training; the published events tell a worker busy with it to stop, and every service to drop its scratch.</summary>
    public static EventActivityBinder<TrainingState, CancelTraining> Cancel(
        this EventActivityBinder<TrainingState, CancelTraining> binder, State cancelled) =>
        binder
            .TransitionTo(cancelled)
            .ThenAsync(context => context.PublishDurably(new TrainingCancelled { TrainingId = context.Saga.CorrelationId, Reason = context.Message.Reason }))
            // Nothing of a cancelled training is kept: every service drops its scratch, as after Completed.
            .DropScratch();

    /// <summary>Tells the Trainer running the current attempt to finish its iteration, evaluate and hand over its best model.</summary>
    public static EventActivityBinder<TrainingState, T> RequestStop<T>(this EventActivityBinder<TrainingState, T> binder)
        where T : class =>
        binder.ThenAsync(context => context.PublishDurably(new TrainingStopRequested
        {
            TrainingId = context.Saga.CorrelationId, Attempt = context.Saga.Attempt, Reason = context.Saga.StopReason,
        }));

    /// <summary>Tells every service to drop the training's scratch, once.</summary>
    public static EventActivityBinder<TrainingState, T> DropScratch<T>(this EventActivityBinder<TrainingState, T> binder)
        where T : class =>
        binder.If(context => context.Saga.ScratchDroppedAt is null, drop => drop
            .Then(context => context.Saga.ScratchDroppedAt = context.Saga.UpdatedAt)
            .ThenAsync(context => context.PublishDurably(new TrainingReadyForCleanup { TrainingId = context.Saga.CorrelationId })));
}
