using System.Net;
using Pipeline.Integration.Tests.Outages;

namespace Pipeline.Integration.Tests.Access;

/// <summary>
/// The token rule as the Orchestrator's host wires it, proved from an address that is not loopback: the real Orchestrator
/// process listens on the host's end of a veth pair, and curl runs inside a network namespace this test makes. Deleting
/// the access check from Program.cs fails these tests, where before every test passed without it.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed class When_the_status_API_is_reached_from_another_network(InfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string Operator = "netns-operator-s3cret", Viewer = "netns-viewer-s3cret";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly string jar = Path.Combine(Directory.CreateTempSubdirectory("netns-cookies-").FullName, "jar");
    private NetworkNamespace? network;
    private OrchestratorAlone? orchestrator;
    private string api = "";

    public async Task InitializeAsync()
    {
        network = await NetworkNamespace.CreateAsync();
        api = $"http://{network.HostAddress}:{ServiceProcess.FreePort()}";
        orchestrator = await OrchestratorAlone.StartAsync(infrastructure, infrastructure.PostgresConnectionString, infrastructure.NewSchema("netns"),
            new Dictionary<string, string>
            {
                ["StatusApi:OperatorTokens:0"] = Operator,
                ["StatusApi:ViewerTokens:0"] = Viewer,
                ["AllowedHosts"] = $"127.0.0.1;{network.HostAddress}",
            }, Bound, alsoListenOn: api);
    }

    public async Task DisposeAsync()
    {
        if (orchestrator is not null)
        {
            await orchestrator.DisposeAsync();
        }

        if (network is not null)
        {
            await network.DisposeAsync();
        }

        Directory.Delete(Path.GetDirectoryName(jar)!, recursive: true);
    }

    [NetworkNamespaceFact]
    public async Task Without_a_token_an_action_and_a_read_are_401_a_viewer_reads_but_may_not_begin_and_an_operator_begins()
    {
        var begin = Begin();

        var (actWithout, _) = await Curl([.. begin]);
        var (readWithout, _) = await Curl($"{api}/trainings");
        var (readAsViewer, _) = await Curl("-H", $"Authorization: Bearer {Viewer}", $"{api}/trainings");
        var (actAsViewer, _) = await Curl(["-H", $"Authorization: Bearer {Viewer}", .. begin]);
        var (actAsOperator, answer) = await Curl(["-H", $"Authorization: Bearer {Operator}", .. begin]);

        Assert.Equal((401, 401), (actWithout, readWithout));
        Assert.Equal((200, 403), (readAsViewer, actAsViewer));
        Assert.True(actAsOperator == (int)HttpStatusCode.Accepted, answer);
    }

    [NetworkNamespaceFact]
    public async Task A_cross_site_text_plain_POST_is_refused_and_a_wrong_Host_is_400_even_with_the_operators_token()
    {
        var crossSite = await Curl("-X", "POST", "-H", "Content-Type: text/plain", "-H", "Origin: http://attacker.example",
            "-H", "Sec-Fetch-Site: cross-site", "--data", """{"organization":"x","project":"y","datasetUri":"file:///nowhere"}""", $"{api}/trainings");
        var (wrongHost, _) = await Curl("-H", "Host: attacker.example", "-H", $"Authorization: Bearer {Operator}", $"{api}/trainings");
        var (plainText, _) = await Curl(["-H", $"Authorization: Bearer {Operator}", .. Begin(contentType: "text/plain")]);

        Assert.Contains(crossSite.Status, new[] { 403, 415 });
        Assert.Equal((400, 415), (wrongHost, plainText));
    }

    [NetworkNamespaceFact]
    public async Task A_login_cookie_opens_the_dashboard_and_its_event_stream_and_without_it_the_dashboard_sends_to_login()
    {
        var (before, _) = await Curl($"{api}/");
        var (wrongLogin, _) = await Curl("-c", jar, "-H", "Content-Type: application/json", "--data", """{"token":"not-a-token"}""", $"{api}/login");
        var (login, _) = await Curl("-c", jar, "-H", "Content-Type: application/json", "--data", $$"""{"token":"{{Viewer}}"}""", $"{api}/login");
        var (dashboard, page) = await Curl("-b", jar, $"{api}/");
        var (trainings, _) = await Curl("-b", jar, $"{api}/trainings");
        var (beginAsViewer, _) = await Curl(["-b", jar, "-H", $"Origin: {api}", .. Begin()]);

        Assert.Equal((302, 401, 200), (before, wrongLogin, login));
        Assert.Contains("HttpOnly", await File.ReadAllTextAsync(jar), StringComparison.OrdinalIgnoreCase);
        Assert.Equal((200, 200, 403), (dashboard, trainings, beginAsViewer));
        Assert.Contains("dashboard.js", page);

        // The stream answers its first event to the cookie: read line by line until it comes, bounded, then let it go.
        using var stream = network!.Start("curl", "-sSN", "-b", jar, $"{api}/events");
        using var bound = new CancellationTokenSource(Bound);
        string? line;
        do
        {
            line = await stream.StandardOutput.ReadLineAsync(bound.Token);
        }
        while (line is not null && line != "event: subscribed");

        stream.Kill();
        Assert.Equal("event: subscribed", line);
    }

    private Task<(int Status, string Body)> Curl(params string[] args) => network!.CurlAsync(args);

    private string[] Begin(string contentType = "application/json") =>
        ["-X", "POST", "-H", $"Content-Type: {contentType}", "--data",
            """{"organization":"netns","project":"door","datasetUri":"file:///nowhere/manifest.json"}""", $"{api}/trainings"];
}
