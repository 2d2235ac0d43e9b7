using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Hosting.Web;
using Pipeline.Orchestrator.Api;

namespace Pipeline.Orchestrator.Tests;

/// <summary>
/// Who may read and act on the status API, judged on the request alone; no request is sent anywhere (addresses beyond
/// loopback are only written into the context). Where a request comes from never counts.
/// </summary>
public sealed class When_the_status_API_judges_a_request
{
    private const string Viewer = "viewer-s3cret", Operator = "operator-s3cret", OtherOperator = "operator-2-s3cret";

    private readonly Clock clock = new();

    public enum Endpoint
    {
        Read,
        Act,
        Open,
    }

    [Theory]
    [InlineData("127.0.0.1", Endpoint.Read)]
    [InlineData("127.0.0.1", Endpoint.Act)]
    [InlineData("::1", Endpoint.Act)]
    [InlineData("10.0.0.5", Endpoint.Read)]
    [InlineData("172.18.0.4", Endpoint.Act)]
    public void Without_a_credential_every_request_is_401_with_a_bearer_challenge_wherever_it_came_from(string address, Endpoint endpoint)
    {
        var context = Context(address, endpoint);

        Assert.Equal(401, StatusOf(context));
        Assert.Equal("Bearer", context.Response.Headers.WWWAuthenticate.ToString());
    }

    [Theory]
    [InlineData(Viewer, Endpoint.Read, null)]
    [InlineData(Viewer, Endpoint.Act, 403)]
    [InlineData(Operator, Endpoint.Read, null)]
    [InlineData(Operator, Endpoint.Act, null)]
    [InlineData(OtherOperator, Endpoint.Act, null)]
    public void A_viewers_token_reads_and_only_an_operators_acts(string token, Endpoint endpoint, int? status) =>
        Assert.Equal(status, StatusOf(Context("10.0.0.5", endpoint, $"Bearer {token}")));

    [Theory]
    [InlineData("Bearer operator-s3creT")]
    [InlineData("Bearer operator-s3cret-and-more")]
    [InlineData("Basic operator-s3cret")]
    [InlineData("operator-s3cret")]
    public void A_wrong_token_or_scheme_is_401(string authorization) =>
        Assert.Equal(401, StatusOf(Context("127.0.0.1", Endpoint.Act, authorization)));

    [Fact]
    public void A_token_taken_out_of_the_settings_is_refused_and_the_others_still_work()
    {
        var revoked = Tokens(operators: [OtherOperator]);

        Assert.Equal(401, StatusOf(Context("127.0.0.1", Endpoint.Act, $"Bearer {Operator}", revoked)));
        Assert.Null(StatusOf(Context("127.0.0.1", Endpoint.Act, $"Bearer {OtherOperator}", revoked)));
    }

    [Fact]
    public void A_session_cookie_holds_its_tokens_role_until_it_expires_or_its_token_is_revoked()
    {
        var viewerSession = Cookie(ApiRole.Viewer, Viewer);
        var operatorSession = Cookie(ApiRole.Operator, Operator);

        Assert.Null(StatusOf(Context("10.0.0.5", Endpoint.Read, cookie: viewerSession)));
        Assert.Equal(403, StatusOf(Context("10.0.0.5", Endpoint.Act, cookie: viewerSession)));
        Assert.Null(StatusOf(Context("10.0.0.5", Endpoint.Act, cookie: operatorSession)));
        // Its role is signed: changing it breaks the signature.
        Assert.Equal(401, StatusOf(Context("10.0.0.5", Endpoint.Act, cookie: "Operator" + viewerSession["Viewer".Length..])));
        Assert.Equal(401, StatusOf(Context("10.0.0.5", Endpoint.Act, cookie: operatorSession, tokens: Tokens(operators: [OtherOperator]))));
        clock.Now += new ApiAccessSettings().SessionLifetime;
        Assert.Equal(401, StatusOf(Context("10.0.0.5", Endpoint.Read, cookie: viewerSession)));
    }

    [Theory]
    [InlineData("http://attacker.example", null)]
    [InlineData("http://127.0.0.1:5081", null)]
    [InlineData("null", null)]
    [InlineData(null, "cross-site")]
    [InlineData(null, "same-site")]
    public void A_request_from_another_origin_is_403_even_with_an_operators_token(string? origin, string? fetchSite)
    {
        var context = Context("127.0.0.1", Endpoint.Act, $"Bearer {Operator}");
        context.Request.Headers.Origin = origin;
        context.Request.Headers["Sec-Fetch-Site"] = fetchSite;

        Assert.Equal(403, StatusOf(context));
    }

    [Fact]
    public void A_request_from_the_APIs_own_page_goes_on()
    {
        var context = Context("127.0.0.1", Endpoint.Act, $"Bearer {Operator}");
        context.Request.Headers.Origin = "http://127.0.0.1:5080";
        context.Request.Headers["Sec-Fetch-Site"] = "same-origin";

        Assert.Null(StatusOf(context));
    }

    [Theory]
    [InlineData("text/plain", 415)]
    [InlineData("application/x-www-form-urlencoded", 415)]
    [InlineData("multipart/form-data; boundary=x", 415)]
    [InlineData(null, 415)]
    [InlineData("application/json", null)]
    [InlineData("application/json; charset=utf-8", null)]
    public void A_body_must_be_JSON(string? contentType, int? status)
    {
        var context = Context("127.0.0.1", Endpoint.Act, $"Bearer {Operator}");
        context.Request.ContentType = contentType;
        context.Request.ContentLength = 2;

        Assert.Equal(status, StatusOf(context));
    }

    [Fact]
    public void Health_and_the_login_page_need_no_credential_and_the_dashboard_sends_a_browser_to_log_in()
    {
        var page = Context("10.0.0.5", Endpoint.Read, redirect: "/login");

        Assert.Null(StatusOf(Context("10.0.0.5", Endpoint.Open)));
        Assert.Equal("/login", Assert.IsAssignableFrom<IResult>(ApiAccess.Judge(page, [ApiAccess.JsonBody])) is Microsoft.AspNetCore.Http.HttpResults.RedirectHttpResult redirect ? redirect.Url : null);
    }

    [Fact]
    public void The_token_settings_the_local_runner_writes_are_the_ones_the_Orchestrator_binds() =>
        Assert.Equal(
            ($"{StatusApiAccess.Section}:{nameof(ApiAccessSettings.OperatorTokens)}", $"{StatusApiAccess.Section}:{nameof(ApiAccessSettings.ViewerTokens)}"),
            (Pipeline.Contracts.StatusApiSettings.OperatorTokens, Pipeline.Contracts.StatusApiSettings.ViewerTokens));

    private DefaultHttpContext Context(string address, Endpoint endpoint, string? authorization = null, ApiTokens? tokens = null, string? cookie = null, string? redirect = null)
    {
        var services = new ServiceCollection();
        tokens ??= Tokens(operators: [Operator, OtherOperator]);
        services.AddSingleton(tokens).AddSingleton<TimeProvider>(clock).AddSingleton<SessionCookie>();
        var context = new DefaultHttpContext { RequestServices = services.BuildServiceProvider() };
        context.Connection.LocalIpAddress = IPAddress.Parse(address);
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("127.0.0.1:5080");
        context.Request.Method = endpoint == Endpoint.Act ? "POST" : "GET";
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        if (cookie is not null)
        {
            context.Request.Headers.Cookie = $"{SessionCookie.Name}={cookie}";
        }

        var conventions = new Conventions();
        _ = endpoint switch
        {
            Endpoint.Act => conventions.RequireOperator(),
            Endpoint.Open => conventions.AllowWithoutCredential(),
            _ => conventions,
        };
        if (redirect is not null)
        {
            conventions.RedirectToLogin(redirect);
        }

        context.SetEndpoint(conventions.Build());
        return context;
    }

    private static ApiTokens Tokens(IEnumerable<string> operators) =>
        new(new ApiAccessSettings { ViewerTokens = [Viewer], OperatorTokens = [.. operators] }, StatusApiAccess.Section);

    /// <summary>The cookie's value as the login gives it to a browser.</summary>
    private string Cookie(ApiRole role, string token)
    {
        var response = new DefaultHttpContext().Response;
        new SessionCookie(Tokens(operators: [Operator, OtherOperator]), clock).Issue(response, role, token);
        var header = response.Headers.SetCookie.ToString();
        return header[(SessionCookie.Name.Length + 1)..header.IndexOf(';')];
    }

    private static int? StatusOf(HttpContext context) =>
        ApiAccess.Judge(context, [ApiAccess.JsonBody]) is IStatusCodeHttpResult result ? result.StatusCode : null;

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class Conventions : IEndpointConventionBuilder
    {
        private readonly List<Action<EndpointBuilder>> conventions = [];

        public void Add(Action<EndpointBuilder> convention) => conventions.Add(convention);

        public Microsoft.AspNetCore.Http.Endpoint Build()
        {
            var builder = new RouteEndpointBuilder(_ => Task.CompletedTask, RoutePatternFactory.Parse("/x"), 0);
            conventions.ForEach(convention => convention(builder));
            return builder.Build();
        }
    }
}
