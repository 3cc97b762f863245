using System.Net;
using static AiGuard.IntegrationTests.Gateway.GatewayFixture;

namespace AiGuard.IntegrationTests.Gateway;

[Collection(GatewayCollection.Name)]
public class ConfigurationReloadTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Revoking_a_key_in_configuration_takes_effect_without_a_restart()
    {
        const string chat = """{"model":"demo-chat","messages":[{"role":"user","content":"hi"}]}""";
        using (var before = await gateway.Client.SendAsync(Json(HttpMethod.Post, "/v1/chat/completions", chat, gateway.ToRevoke)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        gateway.Configuration[$"AiGuard:ApiKeys:Keys:{ToRevokeIndex}:Revoked"] = "true";
        gateway.Configuration.Reload();

        using var after = await gateway.Client.SendAsync(Json(HttpMethod.Post, "/v1/chat/completions", chat, gateway.ToRevoke));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("revoked_api_key", (await ReadJsonAsync(after)).GetProperty("code").GetString());
    }
}
