using System.Text.Json;
using Marten;
using MassTransit;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;
using Pipeline.Messaging;
using RabbitMQ.Client.Exceptions;

namespace Pipeline.Orchestrator.Api;

/// <summary>
/// The door for tools that do not speak AMQP: begin, stop, cancel, retry and replay over HTTP. Each sends the same message the
/// command line does to the saga's queue and answers 202 once the broker has it; the saga does the rest.
/// </summary>
public static class TrainingActionsApi
{
    public static WebApplication MapTrainingActions(this WebApplication app)
    {
        app.MapPost("/trainings", Begin).RequireOperator();
        app.MapPost("/trainings/{id:guid}/stop", Stop).RequireOperator();
        app.MapPost("/trainings/{id:guid}/cancel", Cancel).RequireOperator();
        app.MapPost("/trainings/{id:guid}/retry", Retry).RequireOperator();
        app.MapPost("/trainings/{id:guid}/replay", Replay).RequireOperator();
        return app;
    }

    private static async Task<IResult> Begin(HttpRequest request, ISendEndpointProvider send, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        BeginTraining? command;
        try
        {
            command = await JsonSerializer.DeserializeAsync<BeginTraining>(request.Body, json.Value.SerializerOptions, cancellationToken);
        }
        catch (JsonException e)
        {
            return BadRequest($"The body is not a BeginTraining: {e.Message}");
        }

        if (command is null)
        {
            return BadRequest("The body is empty: send a BeginTraining as JSON (GET /schema/BeginTraining.json describes it).");
        }

        // The id is the caller's to choose (so a retried POST begins nothing twice), or ours when left out.
        command = command.TrainingId == Guid.Empty ? command with { TrainingId = NewId.NextGuid() } : command;
        if (BeginTrainingValidation.Problem(command) is { } problem)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a BeginTraining that can begin", detail: problem,
                extensions: new Dictionary<string, object?> { ["field"] = BeginTrainingValidation.FieldOf(problem) });
        }

        await SendAsync(send, command, cancellationToken);
        return Results.Accepted($"/trainings/{command.TrainingId}", new { trainingId = command.TrainingId });
    }

    private static Task<IResult> Stop(Guid id, IQuerySession session, ISendEndpointProvider send, CancellationToken cancellationToken) =>
        ActAsync(id, session, send, cancellationToken,
            training => training.CurrentState == TrainingStates.TrainingRunning
                ? null
                : $"Training {id} is {training.CurrentState}: only a training in TrainingRunning can be stopped (cancel discards one in any state).",
            new StopTraining { TrainingId = id, Reason = "stopped over the status API" });

    private static Task<IResult> Cancel(Guid id, IQuerySession session, ISendEndpointProvider send, CancellationToken cancellationToken) =>
        ActAsync(id, session, send, cancellationToken,
            training => training.CurrentState is TrainingStates.Completed or TrainingStates.Cancelled
                ? $"Training {id} is {training.CurrentState}: there is nothing left to cancel."
                : null,
            new CancelTraining { TrainingId = id, Reason = "cancelled over the status API" });

    private static Task<IResult> Retry(Guid id, IQuerySession session, ISendEndpointProvider send, CancellationToken cancellationToken) =>
        ActAsync(id, session, send, cancellationToken,
            training => training.CurrentState != TrainingStates.Failed
                ? $"Training {id} is {training.CurrentState}: only a Failed training is retried."
                : training.FailedStage == TrainingStates.Initialized
                    ? $"Training {id} failed at Initialized ({training.Errors.GetValueOrDefault(TrainingStates.Initialized)}): begin a corrected one instead."
                    : training.ScratchDroppedAt is not null
                        ? $"Training {id} failed at {training.FailedStage} and its scratch was dropped after Stages:FailedRetention: begin it again instead."
                        : null,
            new RetryTraining { TrainingId = id });

    /// <summary>
    /// Moves this training's messages from its failed stage's <c>_error</c> queue back to the stage's queue, as
    /// <c>pipeline replay &lt;queue&gt; --training &lt;id&gt;</c> does (the same replayer, with publisher confirms). The
    /// replayed command keeps the attempt that failed, which the saga still takes as the answer of its failed stage.
    /// </summary>
    private static async Task<IResult> Replay(Guid id, IQuerySession session, IOptions<RabbitMqSettings> rabbit, CancellationToken cancellationToken)
    {
        var training = await session.LoadAsync<TrainingState>(id, cancellationToken);
        if (training is null)
        {
            return StatusApi.UnknownTraining(id);
        }

        if (training.CurrentState != TrainingStates.Failed)
        {
            return Conflict($"Training {id} is {training.CurrentState}: only a Failed training's stage is replayed.");
        }

        if (TrainingStages.Find(training.FailedStage ?? "") is not { } stage)
        {
            return Conflict($"Training {id} failed at {training.FailedStage}, which has no queue to replay: begin a corrected one instead.");
        }

        ReplayResult result;
        try
        {
            result = await new ErrorQueueReplayer(rabbit.Value, "orchestrator-replay").ReplayAsync(new ReplayRequest(stage.Queue, id), cancellationToken);
        }
        catch (ReplayTargetMissingException e)
        {
            return Conflict(e.Message);
        }
        catch (BrokerUnreachableException e)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "RabbitMQ does not answer", detail: e.Message);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 403)
        {
            // Said plainly rather than as a 500: the account lacks what scripts/infra.sh declares for the Orchestrator.
            return Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "RabbitMQ refused the Orchestrator's account",
                detail: $"{e.ShutdownReason?.ReplyText}: its account needs read and write on {stage.Queue}_error and write on {stage.Queue}.");
        }
        catch (ReplayInterruptedException e)
        {
            // Nothing is lost (a message leaves _error only once its copy is confirmed); the same request moves the rest.
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "RabbitMQ went away during the replay",
                detail: $"{e.Message}; none was lost. Replay again once RabbitMQ is back.");
        }

        if (result.Moved == 0)
        {
            return Conflict($"Nothing of training {id} waits in {result.ErrorQueue} to replay (replayed already, or the command never reached it): retry sends the stage again.");
        }

        return Results.Accepted($"/trainings/{id}", new { trainingId = id, queue = stage.Queue, moved = result.Moved });
    }

    /// <summary>404 for an unknown training, 409 with the refusal when its state does not take the action, else 202 once the broker has it.</summary>
    private static async Task<IResult> ActAsync<T>(
        Guid id, IQuerySession session, ISendEndpointProvider send, CancellationToken cancellationToken, Func<TrainingState, string?> refusal, T message)
        where T : class
    {
        var training = await session.LoadAsync<TrainingState>(id, cancellationToken);
        if (training is null)
        {
            return StatusApi.UnknownTraining(id);
        }

        if (refusal(training) is { } conflict)
        {
            return Conflict(conflict);
        }

        await SendAsync(send, message, cancellationToken);
        return Results.Accepted($"/trainings/{id}", new { trainingId = id });
    }

    private static async Task SendAsync<T>(ISendEndpointProvider send, T message, CancellationToken cancellationToken)
        where T : class
    {
        var endpoint = await send.GetSendEndpoint(StageSendConventions.Address(StageQueues.Training));
        await endpoint.Send(message, cancellationToken);
    }

    private static IResult BadRequest(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a BeginTraining that can begin", detail: detail);

    private static IResult Conflict(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not possible in this state", detail: detail);

}
