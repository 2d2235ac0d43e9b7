using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Pipeline.Contracts;

namespace Pipeline.DetectorNode.Models;

/// <summary>The status API's model registry, as the node reads it: the project's current model, or one version of it.</summary>
public sealed class StatusApiModels(HttpClient http, IOptions<DetectorNodeSettings> options)
{
    // The status API writes the contracts with ContractJson over the web defaults.
    private static readonly JsonSerializerOptions Json = ContractJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    private DetectorNodeSettings Settings => options.Value;

    /// <summary>What the project's <c>current</c> alias names; null when the project has none yet (404).</summary>
    /// <exception cref="HttpRequestException">the status API does not answer, or answers with an error: try again later.</exception>
    public async Task<ModelVersion?> CurrentAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync($"models/current?{ProjectQuery()}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<ModelVersion>(Json, cancellationToken);
    }

    /// <summary>The project's model of that version; null while none is registered.</summary>
    public async Task<ModelVersion?> VersionAsync(int version, CancellationToken cancellationToken)
    {
        using var response = await SendAsync($"models?{ProjectQuery()}", cancellationToken);
        response.EnsureSuccessStatusCode();
        var models = await response.Content.ReadFromJsonAsync<List<ModelVersion>>(Json, cancellationToken) ?? [];
        return models.FirstOrDefault(model => model.Organization == Settings.Organization && model.Project == Settings.Project && model.Version == version);
    }

    private string ProjectQuery() =>
        $"organization={Uri.EscapeDataString(Settings.Organization)}&project={Uri.EscapeDataString(Settings.Project)}";

    private Task<HttpResponseMessage> SendAsync(string path, CancellationToken cancellationToken)
    {
        var baseUri = Settings.StatusApi.AbsoluteUri.EndsWith('/') ? Settings.StatusApi : new Uri(Settings.StatusApi.AbsoluteUri + "/");
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, path));
        if (!string.IsNullOrEmpty(Settings.StatusApiToken))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Settings.StatusApiToken);
        }

        return http.SendAsync(request, cancellationToken);
    }
}
