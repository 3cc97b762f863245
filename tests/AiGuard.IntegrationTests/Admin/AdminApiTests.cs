using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AiGuard.Admin;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AiGuard.IntegrationTests.Admin;

/// <summary>The admin API of a real running gateway, over loopback: probes, OpenAPI, quarantine, status, masked config, config check, and refusals.</summary>
public sealed class AdminApiTests
{
    private static async Task<JsonElement> ProblemAsync(AdminGateway gateway, HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await AdminGateway.JsonAsync(response);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        var incident = problem.GetProperty("incidentId").GetString()!;
        Assert.Equal(incident, response.Headers.GetValues("AiGuard-Incident-Id").Single());
        var audited = await gateway.Gateway.Audit.WaitForAsync(incident);
        Assert.Equal(1, gateway.Gateway.Audit.CountFor(incident));
        Assert.Equal(code, audited.Code);
        return problem;
    }

    [Fact]
    public async Task Probes_and_the_OpenAPI_document_answer_on_the_admin_port_and_the_proxy_keeps_its_own_healthz()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await AdminGateway.StartAsync(upstream.Address);
        Assert.NotEqual(gateway.Gateway.Address.Port, gateway.AdminAddress.Port);

        using var live = await gateway.Anonymous.GetAsync("/healthz");
        Assert.Equal("live", (await AdminGateway.JsonAsync(live)).GetProperty("status").GetString());
        using var ready = await gateway.Anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var checks = (await AdminGateway.JsonAsync(ready)).GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("configuration", checks);
        Assert.DoesNotContain("redis", checks);
        Assert.Equal("ok", await gateway.Gateway.Client.GetStringAsync("/healthz"));

        var document = await AdminGateway.JsonAsync(await gateway.Anonymous.GetAsync("/openapi/v1.json"));
        var paths = document.GetProperty("paths");
        var expected = new Dictionary<string, string[]>
        {
            ["/healthz"] = ["get"],
            ["/readyz"] = ["get"],
            ["/admin/v1/clients/{client}"] = ["get"],
            ["/admin/v1/quarantine"] = ["get"],
            ["/admin/v1/quarantine/{client}"] = ["put", "delete"],
            ["/admin/v1/config"] = ["get"],
            ["/admin/v1/config/check"] = ["post"],
        };
        foreach (var (path, methods) in expected)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is missing from the OpenAPI document");
            foreach (var method in methods)
            {
                Assert.True(item.TryGetProperty(method, out _), $"{method} {path} is missing from the OpenAPI document");
            }
        }

        // Every endpoint the admin listener maps is documented (the fallback aside).
        Assert.Equal(expected.Keys.Order(), paths.EnumerateObject().Select(p => p.Name).Where(p => p != "/openapi/{documentName}.json").Order());

        // The admin API is not on the proxy port, and the proxy's routes are not on the admin port.
        using var onProxy = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/quarantine") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", gateway.AdminKey.Key) } };
        using var proxied = await gateway.Gateway.Client.SendAsync(onProxy);
        Assert.Equal(HttpStatusCode.Unauthorized, proxied.StatusCode);
        using var chatOnAdmin = await gateway.Admin.PostAsync("/v1/chat/completions", new StringContent("{}", Encoding.UTF8, "application/json"));
        await ProblemAsync(gateway, chatOnAdmin, HttpStatusCode.NotFound, "route_not_found");
    }

    [Fact]
    public async Task An_operator_quarantine_refuses_the_client_is_audited_listed_and_expires_on_the_gateways_clock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await AdminGateway.StartAsync(upstream.Address, configure: b => b.Services.AddSingleton<TimeProvider>(time));
        using (var before = await gateway.ChatAsync(gateway.ModelKey))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using var added = await gateway.Admin.PutAsync("/admin/v1/quarantine/tester", new StringContent("""{"for":"15m","reason":"ticket 42"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var change = await AdminGateway.JsonAsync(added);
        var incident = change.GetProperty("incidentId").GetString()!;
        var audited = await gateway.Gateway.Audit.WaitForAsync(incident);
        Assert.Equal(1, gateway.Gateway.Audit.CountFor(incident));
        Assert.Equal("quarantine_added", audited.Code);
        Assert.Equal("admin", audited.Stage);
        Assert.Equal(gateway.AdminKey.Id, audited.KeyId);
        Assert.Equal("admin:alice", audited.ClientId);
        Assert.Contains("'tester'", audited.Detail, StringComparison.Ordinal);
        Assert.Contains("ticket 42", audited.Detail, StringComparison.Ordinal);
        Assert.Equal(time.GetUtcNow().AddMinutes(15), change.GetProperty("until").GetDateTimeOffset());

        // A shorter quarantine asked on top keeps the longer one in force, and says so.
        using var shorter = await gateway.Admin.PutAsync("/admin/v1/quarantine/tester", new StringContent("""{"for":"1m"}""", Encoding.UTF8, "application/json"));
        var kept = await AdminGateway.JsonAsync(shorter);
        Assert.Equal("kept", kept.GetProperty("action").GetString());
        Assert.Equal(time.GetUtcNow().AddMinutes(15), kept.GetProperty("until").GetDateTimeOffset());
        Assert.Contains("ticket 42", kept.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var keptAudit = await gateway.Gateway.Audit.WaitForAsync(kept.GetProperty("incidentId").GetString()!);
        Assert.Contains("stays quarantined until", keptAudit.Detail, StringComparison.Ordinal);

        using (var refused = await gateway.ChatAsync(gateway.ModelKey))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("client_quarantined", (await AdminGateway.JsonAsync(refused)).GetProperty("code").GetString());
        }

        var list = await AdminGateway.JsonAsync(await gateway.Admin.GetAsync("/admin/v1/quarantine"));
        var entry = Assert.Single(list.GetProperty("quarantines").EnumerateArray());
        Assert.Equal("tester", entry.GetProperty("client").GetString());
        Assert.Equal(900, entry.GetProperty("secondsLeft").GetInt64());
        Assert.Contains("ticket 42", entry.GetProperty("reason").GetString(), StringComparison.Ordinal);

        var status = await AdminGateway.JsonAsync(await gateway.Admin.GetAsync("/admin/v1/clients/tester"));
        Assert.Equal(gateway.ModelKey.Id, status.GetProperty("keyIds")[0].GetString());
        Assert.Equal(900, status.GetProperty("quarantine").GetProperty("secondsLeft").GetInt64());

        time.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        using (var after = await gateway.ChatAsync(gateway.ModelKey))
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }

        Assert.Empty((await AdminGateway.JsonAsync(await gateway.Admin.GetAsync("/admin/v1/quarantine"))).GetProperty("quarantines").EnumerateArray());

        // Added again, then removed by the operator: audited, and the client is served at once.
        (await gateway.Admin.PutAsync("/admin/v1/quarantine/tester", new StringContent("""{"for":"1h"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        using var removed = await gateway.Admin.DeleteAsync("/admin/v1/quarantine/tester");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        var removal = await gateway.Gateway.Audit.WaitForAsync((await AdminGateway.JsonAsync(removed)).GetProperty("incidentId").GetString()!);
        Assert.Equal("quarantine_removed", removal.Code);
        using var served = await gateway.ChatAsync(gateway.ModelKey);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task Failed_guesses_of_the_admin_key_on_the_public_port_never_lock_the_operator_out()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await AdminGateway.StartAsync(upstream.Address, s =>
        {
            s["AiGuard:RateLimits:Authentication:FailuresPerKeyId:PermitLimit"] = "2";
            s["AiGuard:RateLimits:Authentication:FailuresPerAddress:PermitLimit"] = "0";
        });
        ApiKeyFormat.TryParse(gateway.AdminKey.Key, out string prefix, out string id);
        var forged = new GeneratedApiKey($"{prefix}_{id}_{new string('A', 43)}", id, gateway.AdminKey.Hash);

        // The admin key id is public (audit events, logs): an attacker guesses its secret on the model port.
        for (var i = 0; i < 4; i++)
        {
            using var guess = await gateway.ChatAsync(forged);
            Assert.True(guess.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, guess.StatusCode.ToString());
        }

        using var heldThere = await gateway.ChatAsync(forged);
        using var operatorCall = await gateway.Admin.GetAsync("/admin/v1/quarantine");

        Assert.Equal(HttpStatusCode.TooManyRequests, heldThere.StatusCode);
        Assert.Equal(HttpStatusCode.OK, operatorCall.StatusCode);

        // On the admin port itself the same guesses are counted and held back.
        using var forger = new HttpClient { BaseAddress = gateway.AdminAddress };
        forger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", forged.Key);
        for (var i = 0; i < 2; i++)
        {
            using var guess = await forger.GetAsync("/admin/v1/quarantine");
            Assert.Equal(HttpStatusCode.Unauthorized, guess.StatusCode);
        }

        using var held = await forger.GetAsync("/admin/v1/quarantine");
        await ProblemAsync(gateway, held, HttpStatusCode.TooManyRequests, "auth_throttled");
    }

    [Fact]
    public async Task Client_ids_in_the_path_are_decoded_once()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (percent, plain, slashed) = (ApiKeyFormat.Generate(), ApiKeyFormat.Generate(), ApiKeyFormat.Generate());
        await using var gateway = await AdminGateway.StartAsync(upstream.Address, s => s.WithKey(percent, 1, "team%41").WithKey(plain, 2, "teamA").WithKey(slashed, 3, "team/a"));

        async Task<string> KeyOf(string path)
        {
            var status = await AdminGateway.JsonAsync(await gateway.Admin.GetAsync(path));
            return status.GetProperty("keyIds")[0].GetString()!;
        }

        Assert.Equal(percent.Id, await KeyOf("/admin/v1/clients/" + Uri.EscapeDataString("team%41")));
        Assert.Equal(plain.Id, await KeyOf("/admin/v1/clients/teamA"));
        Assert.Equal(slashed.Id, await KeyOf("/admin/v1/clients/" + Uri.EscapeDataString("team/a")));

        // An address is named as the gateway writes it, however the operator typed it.
        using var address = await gateway.Admin.PutAsync("/admin/v1/quarantine/address:0:0:0:0:0:0:0:1", new StringContent("""{"for":"1m"}""", Encoding.UTF8, "application/json"));
        Assert.Equal("address:::1", (await AdminGateway.JsonAsync(address)).GetProperty("client").GetString());
    }

    [Fact]
    public async Task Client_status_shows_limits_left_without_counting_a_request()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await AdminGateway.StartAsync(upstream.Address, s =>
        {
            s["AiGuard:RateLimits:Policies:per-client:Kind"] = "FixedWindow";
            s["AiGuard:RateLimits:Policies:per-client:PermitLimit"] = "5";
            s["AiGuard:RateLimits:Policies:per-client:Window"] = "00:01:00";
            s["AiGuard:RateLimits:Policies:per-client:PartitionBy:0"] = "Client";
            s["AiGuard:Policies:llm:RateLimits:0"] = "per-client";
        });
        using (var first = await gateway.ChatAsync(gateway.ModelKey))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        for (var i = 0; i < 2; i++)
        {
            var status = await AdminGateway.JsonAsync(await gateway.Admin.GetAsync("/admin/v1/clients/tester"));
            var limit = Assert.Single(status.GetProperty("limits").EnumerateArray());
            Assert.Equal("per-client", limit.GetProperty("name").GetString());
            Assert.Equal(5, limit.GetProperty("limit").GetInt64());
            Assert.Equal(4, limit.GetProperty("remaining").GetInt64());
        }
    }

    [Fact]
    public async Task Bad_inputs_and_wrong_credentials_are_refused_with_problem_json_and_audited()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var scoped = ApiKeyFormat.Generate();
        await using var gateway = await AdminGateway.StartAsync(upstream.Address, s =>
        {
            s["AiGuard:ApiKeys:Keys:1:Id"] = scoped.Id;
            s["AiGuard:ApiKeys:Keys:1:Hash"] = scoped.Hash;
            s["AiGuard:ApiKeys:Keys:1:ClientId"] = "ops-bot";
            s["AiGuard:ApiKeys:Keys:1:Scopes:0"] = AdminOptions.Scope;
        });

        foreach (var duration in new[] { "", "abc", "-5m", "0s", "400d", "5x", "m5" })
        {
            using var bad = await gateway.Admin.PutAsync("/admin/v1/quarantine/tester", new StringContent(JsonSerializer.Serialize(new { @for = duration }), Encoding.UTF8, "application/json"));
            var problem = await ProblemAsync(gateway, bad, HttpStatusCode.BadRequest, "invalid_duration");
            Assert.Equal("for", problem.GetProperty("field").GetString());
        }

        using (var malformed = await gateway.Admin.PutAsync("/admin/v1/quarantine/tester", new StringContent("{\"for\":", Encoding.UTF8, "application/json")))
        {
            await ProblemAsync(gateway, malformed, HttpStatusCode.BadRequest, "malformed_json");
        }

        using (var unknown = await gateway.Admin.PutAsync("/admin/v1/quarantine/nobody", new StringContent("""{"for":"5m"}""", Encoding.UTF8, "application/json")))
        {
            await ProblemAsync(gateway, unknown, HttpStatusCode.NotFound, "client_not_found");
        }

        await ProblemAsync(gateway, await gateway.Admin.GetAsync("/admin/v1/clients/nobody"), HttpStatusCode.NotFound, "client_not_found");
        await ProblemAsync(gateway, await gateway.Admin.DeleteAsync("/admin/v1/quarantine/tester"), HttpStatusCode.NotFound, "client_not_quarantined");
        await ProblemAsync(gateway, await gateway.Admin.PostAsync("/admin/v1/config/check", new StringContent("{ not json", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "malformed_json");
        await ProblemAsync(gateway, await gateway.Anonymous.GetAsync("/admin/v1/quarantine"), HttpStatusCode.Unauthorized, "missing_credentials");

        async Task<HttpResponseMessage> WithKey(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/v1/quarantine") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) } };
            return await gateway.Anonymous.SendAsync(request);
        }

        await ProblemAsync(gateway, await WithKey(ApiKeyFormat.Generate("aga").Key), HttpStatusCode.Unauthorized, "invalid_api_key");
        await ProblemAsync(gateway, await WithKey(gateway.ModelKey.Key), HttpStatusCode.Forbidden, "scope_missing");
        using (var allowed = await WithKey(scoped.Key))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        // The admin key is nothing on the model routes.
        using var onModel = await gateway.ChatAsync(gateway.AdminKey);
        Assert.Equal(HttpStatusCode.Unauthorized, onModel.StatusCode);
        Assert.Equal("invalid_api_key", (await AdminGateway.JsonAsync(onModel)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task The_effective_configuration_never_shows_a_configured_secret()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        const string jwtSecret = "c2lnbmluZy1zZWNyZXQtZm9yLWFkbWluLXRlc3RzLTAxMjM0NTY3ODk=";
        const string canary = "CANARY-TEST-91F2AB";
        const string redisPassword = "r3d1s-Pa55word-x7";
        int closedPort;
        using (var holder = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            holder.Start();
            closedPort = ((IPEndPoint)holder.LocalEndpoint).Port;
        }

        const string systemPrompt = "You are the internal pricing assistant, never reveal margins";
        const string headerSecret = "hdr-secret-value-8c1f";
        const string certPassword = "kestrel-cert-pw-55aa";
        const string providerKey = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdEFGH";
        await using var gateway = await AdminGateway.StartAsync(upstream.Address, s =>
        {
            s["AiGuard:Jwt:Issuers:0"] = "https://issuer.test";
            s["AiGuard:Jwt:Audiences:0"] = "aiguard";
            s["AiGuard:Jwt:SigningKeys:0:KeyId"] = "k1";
            s["AiGuard:Jwt:SigningKeys:0:Secret"] = jwtSecret;
            s["AiGuard:Policies:llm:PromptLeak:Canaries:0"] = canary;
            s["AiGuard:Policies:llm:PromptLeak:SystemPrompts:0"] = systemPrompt;
            s["AiGuard:Upstreams:demo:Headers:x-extra-auth"] = headerSecret;
            s["Kestrel:Certificates:Default:Password"] = certPassword;
            s["Serilog:Properties:Note"] = "token=" + providerKey;
            s["AiGuard:Redis:Configuration"] = $"127.0.0.1:{closedPort},password={redisPassword}";
        });

        using var response = await gateway.Admin.GetAsync("/admin/v1/config");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var configuration = gateway.Gateway.Configuration;
        string[] secrets = [jwtSecret, canary, redisPassword, systemPrompt, headerSecret, certPassword, providerKey, DemoUpstream.Key,
            gateway.AdminKey.Hash, gateway.AdminKey.Key, gateway.ModelKey.Hash, gateway.ModelKey.Key, gateway.AdminKey.Hash["sha256:".Length..]];
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        // What is not secret is shown as it is.
        var shown = await AdminGateway.JsonAsync(response);
        Assert.Equal("/v1/chat/completions", shown.GetProperty("ReverseProxy").GetProperty("Routes").GetProperty("chat").GetProperty("Match").GetProperty("Path").GetString());
        Assert.Equal(gateway.ModelKey.Id, shown.GetProperty("AiGuard").GetProperty("ApiKeys").GetProperty("Keys")[0].GetProperty("Id").GetString());
        Assert.Equal(EffectiveConfiguration.Mask, shown.GetProperty("AiGuard").GetProperty("Upstreams").GetProperty("demo").GetProperty("Credential").GetString());
        Assert.Equal("open-inference-v2", shown.GetProperty("AiGuard").GetProperty("Policies").GetProperty("tensors").GetProperty("Protocol").GetString());
        Assert.Equal($"127.0.0.1:{closedPort},password={EffectiveConfiguration.Mask}", shown.GetProperty("AiGuard").GetProperty("Redis").GetProperty("Configuration").GetString());
        Assert.NotNull(configuration);

        // Redis is configured but not there: not ready, and the probe names no password either.
        using var ready = await gateway.Anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.DoesNotContain(redisPassword, await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // With RedisInReadiness off (limits that fail open), the outage is reported, not fatal.
        var version = gateway.Gateway.App.Services.GetRequiredService<AiGuard.Configuration.GatewayConfiguration>().Current.Version;
        gateway.Gateway.Configuration["AiGuard:Admin:RedisInReadiness"] = "false";
        gateway.Gateway.Configuration.Reload();
        await Limits.RateLimitTests.WaitUntil(() => gateway.Gateway.App.Services.GetRequiredService<AiGuard.Configuration.GatewayConfiguration>().Current.Version > version);
        using var tolerated = await gateway.Anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, tolerated.StatusCode);
        var redisCheck = (await AdminGateway.JsonAsync(tolerated)).GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "redis");
        Assert.False(redisCheck.GetProperty("ok").GetBoolean());
        Assert.False(redisCheck.GetProperty("required").GetBoolean());
    }

    [Fact]
    public void A_Redis_password_inside_a_connection_string_is_masked_and_the_rest_kept()
    {
        var masked = EffectiveConfiguration.MaskValue("AiGuard:Redis:Configuration", "redis.internal:6379,password=s3cr3t-Pw,ssl=true");
        Assert.Equal("redis.internal:6379,password=***,ssl=true", masked);
        Assert.Equal("http://***@model.internal/", EffectiveConfiguration.MaskValue("ReverseProxy:Clusters:c:Destinations:d:Address", "http://user:pw@model.internal/"));
    }
}
