using Pipeline.Outbox;
using MassTransit;
using Pipeline.Contracts;

namespace Pipeline.Orchestrator;

/// <summary>
/// Sees every transition, pass-through states included: appends it to the training's history, clears the
/// watchdog's deadline outside the stages that have a worker, and publishes <see cref="TrainingStateChanged"/>
/// (held by the outbox until the new state is saved).
/// </summary>
public sealed class TrainingHistoryObserver(TimeProvider clock, IReadOnlySet<string> stagesWithWorker, string failed)
    : IStateObserver<TrainingState>
{
    public async Task StateChanged(BehaviorContext<TrainingState> context, State currentState, State? previousState)
    {
        // MassTransit's own Initial state is where every instance starts, not a transition of the training.
        if (previousState is null || currentState.Name == context.StateMachine.Initial.Name)
        {
            return;
        }

        var training = context.Saga;
        var now = clock.GetUtcNow();
        var error = currentState.Name == failed && training.FailedStage is { } stage ? training.Errors.GetValueOrDefault(stage) : null;
        var transition = new StateTransition
        {
            From = previousState.Name, To = currentState.Name, At = now, Attempt = training.Attempt, Error = error,
            Note = previousState.Name == TrainingStates.TrainingRunning && training.StoppedAtIteration is { } iteration
                ? $"stopped at iteration {iteration} of {training.Hyperparameters.Iterations}" + (training.StopReason is { } reason ? $" ({reason})" : "")
                : null,
        };
        training.History.Add(transition);
        training.UpdatedAt = now;
        if (!stagesWithWorker.Contains(currentState.Name))
        {
            training.StageDeadline = null;
        }

        await context.PublishDurably(new TrainingStateChanged
        {
            TrainingId = training.CorrelationId, From = transition.From, To = transition.To,
            Attempt = transition.Attempt, At = now, Error = error,
        });
    }
}
