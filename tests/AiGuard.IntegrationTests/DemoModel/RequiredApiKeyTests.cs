using System.Net;

namespace AiGuard.IntegrationTests.DemoModel;

public sealed class RequiredApiKeyTests(DemoModelWithApiKeyFixture server) : IClassFixture<DemoModelWithApiKeyFixture>
{
    private const string Chat = """{"model":"demo-chat","messages":[{"role":"user","content":"Hi"}]}""";

    [Fact]
    public async Task Request_without_the_upstream_key_gets_401_with_a_bearer_challenge()
    {
        var (response, body) = await server.PostJsonAsync("/v1/chat/completions", Chat);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal("invalid_api_key", body.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Request_with_a_wrong_key_gets_401()
    {
        var (response, _) = await server.PostJsonAsync("/v1/chat/completions", Chat, bearer: "client-key-not-upstream");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Request_with_the_upstream_key_gets_200()
    {
        var (response, _) = await server.PostJsonAsync("/v1/chat/completions", Chat, bearer: DemoModelWithApiKeyFixture.ApiKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/v2/health/live")]
    [InlineData("/v2/health/ready")]
    public async Task Health_probes_need_no_key(string path)
    {
        var (response, _) = await server.GetJsonAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
