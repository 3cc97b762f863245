using AiGuard.Gateway;
using AiGuard.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AiGuard.IntegrationTests.Gateway;

/// <summary>A bad configuration stops the gateway at start with one clear message naming the setting.</summary>
public class StartupValidationTests
{
    private static Dictionary<string, string?> ValidSettings() => new()
    {
        ["ReverseProxy:Routes:chat:ClusterId"] = "llm",
        ["ReverseProxy:Routes:chat:Match:Path"] = "/v1/chat/completions",
        ["ReverseProxy:Clusters:llm:Destinations:d1:Address"] = "http://127.0.0.1:9/",
        ["AiGuard:Routes:chat:Protocol"] = "openai",
        ["AiGuard:Audit:Console"] = "false",
    };

    // Some checks fire while the pipeline is composed (YARP loads its config there), others at start:
    // either way the process refuses to serve.
    private static Task<Exception> StartFailsAsync(Dictionary<string, string?> settings) =>
        Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var app = GatewayApp.Build([], builder =>
            {
                builder.Configuration.Sources.Clear();
                builder.Configuration.AddInMemoryCollection(settings);
                builder.WebHost.UseUrls("http://127.0.0.1:0");
            });
            await using (app)
            {
                await app.StartAsync();
            }
        });

    private static string AllMessages(Exception exception)
    {
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(AllMessages));
            }
        }

        return string.Join(" | ", messages);
    }

    [Fact]
    public async Task Valid_configuration_starts()
    {
        var app = GatewayApp.Build([], builder =>
        {
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(ValidSettings());
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        });
        await using (app)
        {
            await app.StartAsync();
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task HashCookie_affinity_starts()
    {
        var settings = ValidSettings();
        settings["ReverseProxy:Clusters:llm:SessionAffinity:Enabled"] = "true";
        settings["ReverseProxy:Clusters:llm:SessionAffinity:Policy"] = "HashCookie";
        settings["ReverseProxy:Clusters:llm:SessionAffinity:AffinityKeyName"] = "aiguard-affinity";
        var app = GatewayApp.Build([], builder =>
        {
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(settings);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        });
        await using (app)
        {
            await app.StartAsync();
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Anonymous_route_is_refused_naming_the_route()
    {
        var settings = ValidSettings();
        settings["ReverseProxy:Routes:chat:AuthorizationPolicy"] = "Anonymous";

        var error = AllMessages(await StartFailsAsync(settings));

        Assert.Contains("ReverseProxy:Routes:chat:AuthorizationPolicy 'Anonymous' is not allowed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Route_without_an_aiguard_policy_is_refused()
    {
        var settings = ValidSettings();
        settings.Remove("AiGuard:Routes:chat:Protocol");

        var error = await StartFailsAsync(settings);

        Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("ReverseProxy:Routes:chat has no policy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_protocol_is_refused_listing_the_known_ones()
    {
        var settings = ValidSettings();
        settings["AiGuard:Routes:chat:Protocol"] = "grpc";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Routes:chat:Protocol 'grpc' is not one of: openai", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_entry_holding_a_plain_key_is_refused_without_echoing_it()
    {
        var key = ApiKeyFormat.Generate();
        var settings = ValidSettings();
        settings["AiGuard:ApiKeys:Keys:0:Id"] = key.Id;
        settings["AiGuard:ApiKeys:Keys:0:Hash"] = key.Key;

        var error = AllMessages(await StartFailsAsync(settings));

        Assert.Contains("AiGuard:ApiKeys:Keys:0:Hash must be 'sha256:'", error, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Key, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upstream_credential_from_an_unset_variable_is_refused()
    {
        var settings = ValidSettings();
        settings["AiGuard:Upstreams:llm:CredentialEnvironmentVariable"] = "AIGUARD_TEST_VARIABLE_THAT_IS_NOT_SET";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Upstreams:llm:CredentialEnvironmentVariable names 'AIGUARD_TEST_VARIABLE_THAT_IS_NOT_SET', which is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_out_of_range_are_refused_naming_the_setting()
    {
        var settings = ValidSettings();
        settings["AiGuard:Routes:chat:Limits:MaxJsonDepth"] = "0";
        settings["AiGuard:Limits:MaxBodyBytes"] = "-5";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Routes:chat:Limits:MaxJsonDepth must be between 1 and 1000", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Limits:MaxBodyBytes must be positive", error.Message, StringComparison.Ordinal);
    }
}
