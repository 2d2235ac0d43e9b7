using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pipeline.Cli.Infrastructure;
using Pipeline.Contracts;

namespace Pipeline.Cli.StatusApi;

/// <summary>
/// The Orchestrator's status API. Turns what can go wrong into a message that names the server at fault:
/// the API itself (start it with <c>pipeline up</c>) or PostgreSQL behind it (<c>scripts/infra.sh up</c>).
/// </summary>
public sealed class StatusApiClient(Uri baseAddress, CliEnvironment environment) : IDisposable
{
    public static readonly JsonSerializerOptions Json = ContractJson.Configure(new(JsonSerializerDefaults.Web));

    private readonly HttpClient http = Client(baseAddress, environment);

    public Uri BaseAddress => baseAddress;

    /// <summary>The Orchestrator's live stream (<c>GET /events</c>, server-sent events); open until disposed.</summary>
    public async Task<Stream> OpenEventStreamAsync(CancellationToken cancellationToken)
    {
        var client = Client(baseAddress, environment, System.Threading.Timeout.InfiniteTimeSpan);
        var response = await client.GetAsync("events", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    /// <summary>Every request carries the token (<see cref="CliEnvironment.ApiToken"/>): the status API serves nothing without one.</summary>
    private static HttpClient Client(Uri baseAddress, CliEnvironment environment, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(15) };
        if (environment.ApiToken(baseAddress) is { } token)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    public async Task<IReadOnlyList<TrainingSummary>> ListTrainingsAsync(
        string? state, (string? Organization, string? Project) project, CancellationToken cancellationToken) =>
        await GetAsync<List<TrainingSummary>>(
            "trainings" + Query(("state", state), ("organization", project.Organization), ("project", project.Project)), cancellationToken) ?? [];

    /// <summary>The training an id names: a whole id as it is, else the one training whose id starts with it.</summary>
    public async Task<Guid> ResolveTrainingIdAsync(string idOrPrefix, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(idOrPrefix, out var id))
        {
            return id;
        }

        var prefix = Prefix("training", idOrPrefix);
        var matches = await GetAsync<List<TrainingSummary>>("trainings" + Query(("idPrefix", prefix), ("take", "5")), cancellationToken) ?? [];
        return OneOf("training", prefix, matches.Select(m => m.Id).ToList(), "'pipeline list' shows the trainings");
    }

    /// <summary>The training, or null when the Orchestrator does not know it (yet).</summary>
    public Task<TrainingDetails?> FindTrainingAsync(Guid id, CancellationToken cancellationToken) =>
        GetAsync<TrainingDetails>($"trainings/{id}", cancellationToken);

    public async Task<TrainingDetails> GetTrainingAsync(Guid id, CancellationToken cancellationToken) =>
        await FindTrainingAsync(id, cancellationToken) ?? throw CliException.NoTraining(id);

    public async Task<IReadOnlyList<ModelVersion>> ListModelsAsync((string? Organization, string? Project) project, CancellationToken cancellationToken) =>
        await GetAsync<List<ModelVersion>>("models" + Query(("organization", project.Organization), ("project", project.Project)), cancellationToken) ?? [];

    /// <summary>The registered model an id, or its first characters, names.</summary>
    public async Task<ModelVersion> ResolveModelAsync(string idOrPrefix, CancellationToken cancellationToken)
    {
        var prefix = Guid.TryParse(idOrPrefix, out var whole) ? whole.ToString() : Prefix("model", idOrPrefix);
        var models = await ListModelsAsync((null, null), cancellationToken);
        var id = OneOf("registered model", prefix,
            models.Where(m => m.Id.ToString().StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Select(m => m.Id).Take(5).ToList(),
            "'pipeline models' lists them");
        return models.Single(m => m.Id == id);
    }

    /// <summary>What was typed, when it can start an id; refused here, before any server is asked, when it cannot.</summary>
    private static string Prefix(string what, string given) => Regex.IsMatch(given, IdPrefix.Pattern)
        ? given
        : throw new CliException($"'{given}' is not a {what} id: the whole id, or at least its first 4 characters.", ExitCodes.Usage);

    /// <summary>The one id that starts with the prefix (at most 5 looked up); none, or several, is an error that says which.</summary>
    private static Guid OneOf(string what, string prefix, IReadOnlyList<Guid> matches, string whereToLook) => matches switch
    {
        [] => throw new CliException($"no {what} id starts with '{prefix}': {whereToLook}.", ExitCodes.NotFound),
        [var only] => only,
        _ => throw new CliException(
            $"'{prefix}' starts more than one {what} id ({string.Join(", ", matches)}{(matches.Count == 5 ? ", ..." : "")}): give more of it.",
            ExitCodes.Usage),
    };

    /// <summary>A query string of the parameters that have a value, each escaped; empty when none has.</summary>
    private static string Query(params (string Name, string? Value)[] parameters) =>
        string.Join("&", parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}")) switch
        {
            "" => "",
            var query => "?" + query,
        };

    /// <summary>Each service's outbox: rows waiting and rows parked with their reasons; null from an Orchestrator without the route.</summary>
    public async Task<IReadOnlyList<OutboxStatus>?> ListOutboxesAsync(CancellationToken cancellationToken) =>
        await GetAsync<List<OutboxStatus>>("queues/outbox", cancellationToken);

    /// <summary>Puts parked outbox rows back for their relay: one by message id, or every one of a service; the number put back.</summary>
    public async Task<int> UnparkAsync(Guid? messageId, string? service, CancellationToken cancellationToken)
    {
        var path = messageId is { } id ? $"queues/outbox/{id}/retry" : $"queues/outbox/retry?service={Uri.EscapeDataString(service ?? "")}";
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(path, null, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new CliException(
                $"the Orchestrator's status API at {baseAddress} does not answer ({ex.Message}). Start the services with 'pipeline up' " +
                "(or point --api / PIPELINE_API at it).", ExitCodes.ServerUnavailable);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound && messageId is not null)
            {
                throw new CliException($"no parked outbox row has message id {messageId}: 'pipeline queues' lists them.", ExitCodes.NotFound);
            }

            if (!response.IsSuccessStatusCode)
            {
                throw await ServerErrorAsync(response, cancellationToken);
            }

            return (await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken)).GetProperty("unparked").GetInt32();
        }
    }

    /// <summary>
    /// The dashboard's address with a one-time login for this token's role (<c>POST /login/codes</c>), opening at
    /// <paramref name="route"/> (<c>/trainings/{id}</c>) when given: a browser that opens it needs no token typed.
    /// </summary>
    public async Task<Uri> DashboardLinkAsync(string? route, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync("login/codes", null, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"the Orchestrator's status API at {baseAddress} does not answer ({ex.Message}).", ExitCodes.ServerUnavailable);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await ServerErrorAsync(response, cancellationToken);
            }

            var path = (await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken)).GetProperty("path").GetString()!;
            return new Uri(baseAddress, path.TrimStart('/') + (route is null ? "" : $"&then={Uri.EscapeDataString(route)}"));
        }
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync("health/ready", cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<T?> GetAsync<T>(string path, CancellationToken cancellationToken) where T : class
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new CliException(
                $"the Orchestrator's status API at {baseAddress} does not answer ({ex.Message}). Start the services with 'pipeline up' " +
                "(or point --api / PIPELINE_API at it).", ExitCodes.ServerUnavailable);
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw await ServerErrorAsync(response, cancellationToken);
            }

            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
        }
    }

    private async Task<CliException> ServerErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // Refused for the credential: what the API said, not a guess about the database behind it.
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            var refusal = await response.Content.ReadAsStringAsync(cancellationToken);
            return new CliException(
                $"the Orchestrator at {baseAddress} answered {(int)response.StatusCode} {response.ReasonPhrase}: {refusal[..Math.Min(refusal.Length, 300)]}. " +
                "Set PIPELINE_API_TOKEN to a token of its StatusApi:OperatorTokens (or ViewerTokens, to read).", ExitCodes.Usage);
        }

        // Refused for what was asked: the API's own reason, as a usage error.
        if (response.StatusCode == HttpStatusCode.BadRequest && response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            && await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken) is { ValueKind: JsonValueKind.Object } problem
            && problem.TryGetProperty("detail", out var detail))
        {
            return new CliException(detail.GetString() ?? "the status API refused the request", ExitCodes.Usage);
        }

        var (host, port) = environment.PostgresEndpoint;
        if (!await ServerProbe.AnswersAsync(host, port, TimeSpan.FromSeconds(2), cancellationToken))
        {
            return new CliException(
                $"the Orchestrator answered {(int)response.StatusCode}: PostgreSQL at {host}:{port} behind it does not answer. " +
                "Start it with 'scripts/infra.sh up'.", ExitCodes.ServerUnavailable);
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return new CliException(
            $"the Orchestrator at {baseAddress} answered {(int)response.StatusCode} {response.ReasonPhrase}" +
            (body.Length > 0 ? $": {body[..Math.Min(body.Length, 300)]}" : "") +
            ". Its log is in .logs/; 'scripts/infra.sh status' shows whether PostgreSQL and RabbitMQ run.", ExitCodes.ServerUnavailable);
    }

    public void Dispose() => http.Dispose();
}
