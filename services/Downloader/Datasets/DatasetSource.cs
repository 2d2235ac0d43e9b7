using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Pipeline.Downloader.Http;
using Pipeline.Artifacts;

namespace Pipeline.Downloader.Datasets;

/// <summary>
/// Turns a dataset URI into a local file or folder: file:// is read in place, http(s):// is streamed to the
/// work folder. What configuration does not allow, what is too large, and checksum mismatches are bad input;
/// 5xx answers, timeouts and broken connections are retried Retry:Limit times (<see cref="DatasetHostUnavailableException"/>:
/// the dataset's host, not the pipeline's servers, is what failed).
/// </summary>
public sealed class DatasetSource(IHttpClientFactory httpClients, IOptions<DownloaderSettings> options, ILogger<DatasetSource> logger)
{
    public const string HttpClientName = "datasets";

    private readonly DownloaderSettings settings = options.Value;

    /// <returns>The local file or folder, and the real folders every file it leads to must lie under.</returns>
    public async Task<FetchedDataset> FetchAsync(string datasetUri, string? sha256, string workFolder, CancellationToken cancellationToken)
    {
        var uri = Parse(datasetUri);
        if (uri.IsFile)
        {
            var (path, roots) = LocalPath(uri);
            if (Directory.Exists(path))
            {
                if (!string.IsNullOrEmpty(sha256))
                {
                    throw new StageInputException($"Dataset '{datasetUri}' is a folder: DatasetSha256 can only check a single file (a manifest, a COCO JSON or an archive).");
                }

                return new FetchedDataset(path, roots);
            }

            if (!File.Exists(path))
            {
                throw new StageInputException($"Dataset '{datasetUri}' does not exist.");
            }

            if (LocalFiles.KindOf(path) is var kind and not LocalFiles.RegularFile)
            {
                throw new StageInputException($"Dataset '{datasetUri}' is a {kind}, not a regular file.");
            }

            if (new FileInfo(path).Length > settings.MaxDatasetBytes)
            {
                throw TooLarge(datasetUri);
            }

            await VerifyAsync(path, sha256, datasetUri, cancellationToken);
            return new FetchedDataset(path, roots);
        }

        var downloaded = await DownloadAsync(uri, workFolder, cancellationToken);
        await VerifyAsync(downloaded, sha256, datasetUri, cancellationToken);
        return new FetchedDataset(downloaded, [LocalFiles.RealPath(workFolder) ?? workFolder]);
    }

    private Uri Parse(string datasetUri)
    {
        if (string.IsNullOrWhiteSpace(datasetUri) || !Uri.TryCreate(datasetUri, UriKind.Absolute, out var uri))
        {
            throw new StageInputException($"Dataset URI '{datasetUri}' is not an absolute URI (file://, http:// or https://).");
        }

        if (!settings.Schemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
        {
            throw new StageInputException(
                $"Dataset URI '{datasetUri}' uses scheme '{uri.Scheme}', which is not allowed (Downloader:AllowedSchemes: {string.Join(", ", settings.Schemes)}).");
        }

        if (!uri.IsFile && uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new StageInputException($"Dataset URI '{datasetUri}' uses scheme '{uri.Scheme}', which the Downloader cannot fetch.");
        }

        if (!uri.IsFile)
        {
            CheckHost(uri, datasetUri);
        }

        return uri;
    }

    private void CheckHost(Uri uri, string datasetUri)
    {
        var hosts = settings.AllowedHosts ?? [];
        if (hosts.Length == 0)
        {
            return;
        }

        var host = uri.IdnHost;
        var allowed = hosts.Any(pattern => pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase));
        if (!allowed)
        {
            throw new StageInputException(
                $"Dataset URI '{datasetUri}' names host '{host}', which is not allowed (Downloader:AllowedHosts: {string.Join(", ", hosts)}).");
        }
    }

    private (string Path, IReadOnlyList<string> Roots) LocalPath(Uri uri)
    {
        if (!string.IsNullOrEmpty(uri.Host) && !string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            throw new StageInputException($"Dataset URI '{uri}' names host '{uri.Host}': file:// datasets must be local.");
        }

        var configured = settings.AllowedRoots ?? [];
        if (configured.Length == 0)
        {
            throw new StageInputException(
                $"Dataset URI '{uri}' is a file:// path, and Downloader:AllowedRoots names no folder datasets may be read from.");
        }

        var path = Path.GetFullPath(uri.LocalPath);
        // Real paths on both sides: a link anywhere along the path (a linked parent folder too) may lead anywhere.
        var roots = configured.Select(root => LocalFiles.RealPath(Path.GetFullPath(root))).OfType<string>().ToList();
        var real = LocalFiles.RealPath(path);
        if (real is null)
        {
            throw new StageInputException($"Dataset '{uri}' does not exist.");
        }

        if (!roots.Any(root => LocalFiles.IsUnder(real, root)))
        {
            throw new StageInputException(
                $"Dataset path '{path}'{(real == path ? "" : $" (really '{real}')")} is outside the allowed folders (Downloader:AllowedRoots: {string.Join(", ", configured)}).");
        }

        return (real, roots);
    }

    private async Task<string> DownloadAsync(Uri uri, string workFolder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workFolder);
        var target = Path.Combine(workFolder, "download");
        var client = httpClients.CreateClient(HttpClientName);
        // The client has no timeout of its own (it would not cover the body): the download's deadlines are these.
        using var whole = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        whole.CancelAfter(settings.HttpTimeout);
        var current = uri;
        try
        {
            for (var redirects = 0; ; redirects++)
            {
                using var headers = CancellationTokenSource.CreateLinkedTokenSource(whole.Token);
                headers.CancelAfter(settings.HeaderTimeout);
                using var response = await GetAsync(client, uri, current, headers, whole, cancellationToken);
                if (RedirectOf(response, current) is { } next)
                {
                    if (redirects == settings.MaxRedirects)
                    {
                        throw new StageInputException(
                            $"Dataset URI '{uri}' redirected more than {settings.MaxRedirects} times (Downloader:MaxRedirects).");
                    }

                    CheckRedirect(uri, next);
                    current = next;
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    var status = (int)response.StatusCode;
                    var message = $"Dataset URI '{uri}' answered {status} {response.ReasonPhrase}.";
                    throw status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
                        ? new HttpRequestException(message, null, response.StatusCode)
                        : new StageInputException(message);
                }

                if (response.Content.Headers.ContentLength > settings.MaxDatasetBytes)
                {
                    throw TooLarge(uri.ToString());
                }

                logger.LogInformation("Downloading {DatasetUri} ({Length} bytes announced)", current, response.Content.Headers.ContentLength);
                await using var body = await response.Content.ReadAsStreamAsync(whole.Token);
                await using var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true);
                await new ByteBudget(settings.MaxDatasetBytes, () => TooLarge(uri.ToString())).CopyAsync(body, file, whole.Token);
                return target;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DatasetHostUnavailableException(
                $"Dataset URI '{uri}' did not finish sending within {settings.HttpTimeout} (Downloader:HttpTimeout).");
        }
        catch (HttpIOException e) when (!cancellationToken.IsCancellationRequested)
        {
            // The body's connection, not the local file (whose IOException is ours to report).
            throw new DatasetHostUnavailableException($"Dataset URI '{uri}' broke off while sending: {e.Message}");
        }
    }

    private async Task<HttpResponseMessage> GetAsync(
        HttpClient client, Uri uri, Uri current, CancellationTokenSource headers, CancellationTokenSource whole, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetAsync(current, HttpCompletionOption.ResponseHeadersRead, headers.Token);
        }
        catch (HttpRequestException e) when (e.InnerException is RefusedAddressException refused)
        {
            var hop = current == uri ? "" : $"its redirect to '{current}': ";
            throw new StageInputException($"Dataset URI '{uri}' is refused: {hop}{refused.Message}.");
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            throw new DatasetHostUnavailableException($"Dataset URI '{uri}' could not be fetched from '{current}': {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var limit = whole.IsCancellationRequested ? (settings.HttpTimeout, "HttpTimeout") : (settings.HeaderTimeout, "HeaderTimeout");
            throw new DatasetHostUnavailableException($"Dataset URI '{uri}' did not answer within {limit.Item1} (Downloader:{limit.Item2}).");
        }
    }

    private static Uri? RedirectOf(HttpResponseMessage response, Uri current) =>
        (int)response.StatusCode is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location
            ? location.IsAbsoluteUri ? location : new Uri(current, location)
            : null;

    /// <summary>A redirect must not lead where the first address could not: another scheme, a host off the list.</summary>
    private void CheckRedirect(Uri uri, Uri next)
    {
        if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps)
        {
            throw new StageInputException($"Dataset URI '{uri}' redirected to '{next}': a download may only be redirected to http(s).");
        }

        Parse(next.ToString());
    }

    private static async Task VerifyAsync(string path, string? expected, string datasetUri, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(expected))
        {
            return;
        }

        await using var stream = File.OpenRead(path);
        var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
        if (!string.Equals(actual, expected.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            throw new StageInputException($"Dataset '{datasetUri}' has sha256 {actual}, but DatasetSha256 says {expected}.");
        }
    }

    private StageInputException TooLarge(string what) =>
        new($"Dataset '{what}' is larger than Downloader:MaxDatasetBytes ({settings.MaxDatasetBytes} bytes).");
}
