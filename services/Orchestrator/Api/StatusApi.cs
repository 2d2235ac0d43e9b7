using System.Text.RegularExpressions;
using Marten;
using Marten.Linq.MatchesSql;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Pipeline.Contracts;
using Pipeline.Registry;

namespace Pipeline.Orchestrator.Api;

/// <summary>Read-only views of the trainings and the model registry, for the command line tool and for people.</summary>
public static partial class StatusApi
{
    public static WebApplication MapStatusApi(this WebApplication app)
    {
        app.MapGet("/trainings", ListTrainings);
        app.MapGet("/trainings/{id:guid}", GetTraining);
        app.MapGet("/trainings/{id:guid}/series", GetSeries);
        app.MapGet("/models", ListModels);
        // What a detector node that follows a project reads at start-up: the path, its query and the ModelVersion it answers
        // are an interface agreed with services/DetectorNode.
        app.MapGet("/models/current", GetCurrentModel);
        // The stages with a worker, in order, and every state: what a client draws a training's timeline from.
        app.MapGet("/stages", () => TrainingStages.All.Select(stage => new { stage.Name, stage.Running, stage.Done, stage.Queue }));
        app.MapGet("/states", () => TrainingStates.All);
        // The same files as contracts/schema/ in the repository, generated from the records.
        app.MapGet("/schema/{name}.json", (string name) => ContractJson.SchemaTypes.TryGetValue(name, out var type)
            ? Results.Text(ContractJson.Schema(type), "application/schema+json")
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown schema",
                detail: $"Schemas: {string.Join(", ", ContractJson.SchemaTypes.Keys.Select(key => $"/schema/{key}.json"))}."));

        // Live: the process answers. Ready: the bus is connected and PostgreSQL answers.
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowWithoutCredential();
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") }).AllowWithoutCredential();
        return app;
    }

    private static async Task<IResult> ListTrainings(
        IQuerySession session, string? state, string? organization, string? project, string? idPrefix, int? take, CancellationToken cancellationToken)
    {
        var query = session.Query<TrainingState>().AsQueryable();
        if (idPrefix is not null)
        {
            if (!TrainingIdPrefix().IsMatch(idPrefix))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not an id prefix",
                    detail: $"'{idPrefix}' is not the start of a training id: give at least its first 4 characters (hex digits and dashes).");
            }

            query = query.Where(x => x.MatchesSql("d.id::text like ?", idPrefix.ToLowerInvariant() + "%"));
        }

        if (!string.IsNullOrWhiteSpace(state))
        {
            query = query.Where(x => x.CurrentState == state);
        }

        if (!string.IsNullOrWhiteSpace(organization))
        {
            query = query.Where(x => x.Organization == organization);
        }

        if (!string.IsNullOrWhiteSpace(project))
        {
            query = query.Where(x => x.Project == project);
        }

        var trainings = await query
            .OrderByDescending(x => x.UpdatedAt)
            .Take(Math.Clamp(take ?? 100, 1, 1000))
            .ToListAsync(cancellationToken);
        return Results.Ok(trainings.Select(training => training.ToSummary()));
    }

    private static async Task<IResult> GetTraining(IQuerySession session, Guid id, CancellationToken cancellationToken)
    {
        var training = await session.LoadAsync<TrainingState>(id, cancellationToken);
        return training is null ? UnknownTraining(id) : Results.Ok(training.ToDetails());
    }

    internal static IResult UnknownTraining(Guid id) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown training",
            detail: $"No training with id {id} exists. 'GET /trainings' lists the known ones.");

    /// <summary>The loss and mAP curves: one point per progress report, in iteration order.</summary>
    private static async Task<IResult> GetSeries(IQuerySession session, Guid id, CancellationToken cancellationToken)
    {
        var training = await session.LoadAsync<TrainingState>(id, cancellationToken);
        return training is null ? UnknownTraining(id) : Results.Ok(training.Series);
    }

    private static async Task<IResult> ListModels(ModelRegistryReader registry, string? organization, string? project, CancellationToken cancellationToken) =>
        Results.Ok(await registry.ListAsync(organization, project, cancellationToken));

    /// <summary>The project's current model (its <c>current</c> alias), or 404 with a problem when it has none.</summary>
    private static async Task<IResult> GetCurrentModel(ModelRegistryReader registry, string? organization, string? project, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(organization) || string.IsNullOrWhiteSpace(project))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Which project?",
                detail: "Name the project: GET /models/current?organization=...&project=...");
        }

        return await registry.FindCurrentAsync(organization, project, cancellationToken) is { } current
            ? Results.Ok(current)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No current model",
                detail: $"{organization}/{project} has no current model: none of its models has been registered and promoted yet. " +
                    "'GET /models?organization=&project=' lists its models.");
    }

    /// <summary>The Postgres half of readiness; MassTransit adds the bus's own checks with the tag "ready".</summary>
    public static IHealthChecksBuilder AddPostgresReadiness(this IHealthChecksBuilder health) =>
        health.AddCheck<Health.PostgresHealthCheck>("postgres", HealthStatus.Unhealthy, ["ready"]);

    [GeneratedRegex(IdPrefix.Pattern)]
    private static partial Regex TrainingIdPrefix();
}
