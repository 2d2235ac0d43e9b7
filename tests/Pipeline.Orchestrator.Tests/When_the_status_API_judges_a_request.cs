using System.Net;
using Microsoft.AspNetCore.Http;
using Pipeline.Hosting.Web;
using Pipeline.Orchestrator.Api;
using static Pipeline.Hosting.Web.ApiAccess;

namespace Pipeline.Orchestrator.Tests;

/// <summary>
/// Who may read and act on the status API, judged on the connection's addresses as Kestrel reports them; no request is
/// sent anywhere (addresses beyond loopback are only written into the context).
/// </summary>
public sealed class When_the_status_API_judges_a_request
{
    private const string Token = "s3cret-token";

    [Theory]
    [InlineData("127.0.0.1", null, Access.Read, null)]
    [InlineData("127.0.0.1", null, Access.Act, null)]
    [InlineData("::1", null, Access.Act, null)]
    [InlineData("127.0.0.1", Token, Access.Read, null)]
    [InlineData("127.0.0.1", Token, Access.Act, 401)]
    [InlineData("10.0.0.5", null, Access.Read, 403)]
    [InlineData("10.0.0.5", null, Access.Act, 403)]
    [InlineData("10.0.0.5", Token, Access.Read, 401)]
    [InlineData("172.18.0.4", Token, Access.Act, 401)]
    public void Without_the_token_a_request_is_answered_by_where_it_came_from(string address, string? configured, Access access, int? status) =>
        Assert.Equal(status, StatusOf(Context(address, authorization: null), configured, access));

    [Theory]
    [InlineData("127.0.0.1", Access.Act)]
    [InlineData("10.0.0.5", Access.Read)]
    [InlineData("10.0.0.5", Access.Act)]
    public void With_the_right_bearer_token_every_request_goes_on(string address, Access access) =>
        Assert.Null(StatusOf(Context(address, $"Bearer {Token}"), Token, access));

    [Theory]
    [InlineData("Bearer s3cret-tokeN")]
    [InlineData("Bearer s3cret-token-and-more")]
    [InlineData("Basic s3cret-token")]
    [InlineData("s3cret-token")]
    public void A_wrong_token_or_scheme_is_401_with_a_bearer_challenge(string authorization)
    {
        var context = Context("10.0.0.5", authorization);

        Assert.Equal(401, StatusOf(context, Token, Access.Act));
        Assert.Equal("Bearer", context.Response.Headers.WWWAuthenticate.ToString());
    }

    private static DefaultHttpContext Context(string address, string? authorization)
    {
        var context = new DefaultHttpContext();
        context.Connection.LocalIpAddress = IPAddress.Parse(address);
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        return context;
    }

    private static int? StatusOf(HttpContext context, string? token, Access access) =>
        Judge(context, new ApiToken(token, StatusApiToken.Setting), access) is IStatusCodeHttpResult result ? result.StatusCode : null;
}
