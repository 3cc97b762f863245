using System.Net;
using System.Net.Sockets;
using AiGuard.Configuration;
using AiGuard.Gateway;
using AiGuard.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace AiGuard.IntegrationTests.Gateway;

/// <summary>A bad configuration stops the gateway at start with one clear message naming each setting.</summary>
public class StartupValidationTests
{
    private static Dictionary<string, string?> ValidSettings() => new()
    {
        ["ReverseProxy:Routes:chat:ClusterId"] = "llm",
        ["ReverseProxy:Routes:chat:Match:Path"] = "/v1/chat/completions",
        ["ReverseProxy:Routes:chat:Metadata:AiGuard.Policy"] = "chat",
        ["ReverseProxy:Clusters:llm:Destinations:d1:Address"] = "http://127.0.0.1:9/",
        ["AiGuard:Policies:chat:Protocol"] = "openai",
        ["AiGuard:Audit:Console"] = "false",
        ["AiGuard:Audit:FilePath"] = Path.Combine(Path.GetTempPath(), "aiguard-startup-tests", "audit.log"),
    };

    private static WebApplication Build(Dictionary<string, string?> settings, string[]? args = null) =>
        GatewayApp.Build(args ?? [], builder =>
        {
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(GatewayUnderTest.TestDefaults);
            builder.Configuration.AddInMemoryCollection(settings);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        });

    // The whole configuration is validated when the pipeline is composed: the process refuses to serve.
    private static async Task<GatewayConfigurationException> StartFailsAsync(Dictionary<string, string?> settings)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var app = Build(settings);
            await app.StartAsync();
        });
        return Assert.IsType<GatewayConfigurationException>(error);
    }

    private static async Task StartsAsync(Dictionary<string, string?> settings)
    {
        await using var app = Build(settings);
        await app.StartAsync();
        await app.StopAsync();
    }

    [Fact]
    public async Task Valid_configuration_starts()
    {
        await StartsAsync(ValidSettings());
    }

    [Fact]
    public async Task Rate_limits_are_validated_at_start_naming_each_setting()
    {
        var settings = ValidSettings();
        settings["AiGuard:Policies:chat:RateLimits:0"] = "per-clinet";
        settings["AiGuard:RateLimits:Policies:per-client:PermitLimit"] = "0";
        settings["AiGuard:RateLimits:Policies:per-client:Window"] = "00:01:00";
        settings["AiGuard:RateLimits:Policies:bucket:Kind"] = "TokenBucket";
        settings["AiGuard:RateLimits:Policies:bucket:PermitLimit"] = "10";
        settings["AiGuard:RateLimits:Policies:sliding:Kind"] = "SlidingWindow";
        settings["AiGuard:RateLimits:Policies:sliding:PermitLimit"] = "10";
        settings["AiGuard:RateLimits:Policies:sliding:Window"] = "00:01:00";
        settings["AiGuard:RateLimits:Policies:sliding:SegmentsPerWindow"] = "1";
        settings["AiGuard:RateLimits:Authentication:FailuresPerAddress:PermitLimit"] = "-1";

        var error = await StartFailsAsync(settings);

        Assert.Contains(error.Errors, e => e.StartsWith("AiGuard:Policies:chat:RateLimits names 'per-clinet', which is not a limit under AiGuard:RateLimits:Policies (known: ", StringComparison.Ordinal) && e.Contains("per-client", StringComparison.Ordinal));
        Assert.Contains("AiGuard:RateLimits:Policies:per-client:PermitLimit must be at least 1.", error.Errors);
        Assert.Contains("AiGuard:RateLimits:Policies:bucket: a TokenBucket limit needs TokensPerPeriod of at least 1 and a positive ReplenishmentPeriod (hh:mm:ss).", error.Errors);
        Assert.Contains("AiGuard:RateLimits:Policies:sliding:SegmentsPerWindow must be between 2 and 1000.", error.Errors);
        Assert.Contains("AiGuard:RateLimits:Authentication:FailuresPerAddress:PermitLimit must be 0 (off) or more.", error.Errors);
    }

    [Fact]
    public async Task Telemetry_settings_are_validated_at_start_naming_each_setting()
    {
        var settings = ValidSettings();
        settings["AiGuard:Telemetry:OtlpEndpoint"] = "otel-collector:4317";
        settings["AiGuard:Telemetry:OtlpProtocol"] = "http/json";
        settings["AiGuard:Telemetry:ServiceName"] = " ";
        settings["AiGuard:Telemetry:MaxModelNames"] = "0";
        settings["AiGuard:Telemetry:Prometheus:Enabled"] = "true";
        settings["AiGuard:Telemetry:Prometheus:Path"] = "metrics";

        var error = await StartFailsAsync(settings);

        Assert.Equal(
            [
                "AiGuard:Telemetry:OtlpProtocol 'http/json' is not one of: grpc, http/protobuf.",
                "AiGuard:Telemetry:OtlpEndpoint 'otel-collector:4317' is not an absolute http:// or https:// address (for example http://otel-collector:4317).",
                "AiGuard:Telemetry:ServiceName must not be empty.",
                "AiGuard:Telemetry:MaxModelNames must be at least 1.",
                "AiGuard:Telemetry:Prometheus:Path 'metrics' must be a literal path starting with '/' (for example /metrics).",
            ],
            error.Errors);
    }

    [Theory]
    [InlineData("sidecar", "true", "AiGuard:Telemetry:Prometheus:Listener 'sidecar' is not one of: admin, gateway.")]
    [InlineData("admin", "false", "AiGuard:Telemetry:Prometheus:Listener is 'admin' but the admin listener is off (AiGuard:Admin:Enabled is false): turn it on, or set the listener to 'gateway'.")]
    public async Task The_Prometheus_listener_must_be_one_that_runs(string listener, string adminEnabled, string expected)
    {
        var settings = ValidSettings();
        settings["AiGuard:Telemetry:Prometheus:Enabled"] = "true";
        settings["AiGuard:Telemetry:Prometheus:Listener"] = listener;
        settings["AiGuard:Admin:Enabled"] = adminEnabled;

        var error = await StartFailsAsync(settings);

        Assert.Equal([expected], error.Errors);
    }

    [Fact]
    public async Task Token_budgets_are_validated_at_start_naming_each_setting()
    {
        var settings = ValidSettings();
        settings["AiGuard:Policies:chat:TokenBudgets:0"] = "daily";
        settings["AiGuard:Policies:chat:TokenBudgets:1"] = "nope";
        settings["AiGuard:Policies:chat:TokenEncoding"] = "p50k_base";
        settings["AiGuard:TokenBudgets:Policies:daily:PerMinute"] = "0";
        settings["AiGuard:TokenBudgets:Policies:daily:DefaultMaxTokens"] = "0";
        settings["AiGuard:TokenBudgets:Policies:burst:PerMinute"] = "100";
        settings["AiGuard:TokenBudgets:Policies:burst:PerDay"] = "5000";
        settings["AiGuard:TokenBudgets:Policies:burst:LeaseTokens"] = "500";
        settings["ReverseProxy:Routes:v2:ClusterId"] = "llm";
        settings["ReverseProxy:Routes:v2:Match:Path"] = "/v2/{**rest}";
        settings["ReverseProxy:Routes:v2:Metadata:AiGuard.Policy"] = "tensors";
        settings["AiGuard:Policies:tensors:Protocol"] = "open-inference-v2";
        settings["AiGuard:Policies:tensors:TokenBudgets:0"] = "daily";

        var error = await StartFailsAsync(settings);

        Assert.Contains(error.Errors, e => e.StartsWith("AiGuard:Policies:chat:TokenBudgets names 'nope', which is not a budget under AiGuard:TokenBudgets:Policies", StringComparison.Ordinal));
        Assert.Contains("AiGuard:Policies:chat:TokenEncoding 'p50k_base' is not one of: o200k_base, cl100k_base.", error.Errors);
        Assert.Contains("AiGuard:TokenBudgets:Policies:daily: set PerMinute, PerDay or both to a positive number of tokens (0 leaves a window unlimited).", error.Errors);
        Assert.Contains("AiGuard:TokenBudgets:Policies:daily:DefaultMaxTokens must be at least 1.", error.Errors);
        Assert.Contains("AiGuard:TokenBudgets:Policies:burst:LeaseTokens must be between 0 and the smallest of PerMinute and PerDay (100).", error.Errors);
        Assert.Contains("AiGuard:Policies:tensors:TokenBudgets apply to LLM routes only: the policy's Protocol must be openai.", error.Errors);
    }

    [Fact]
    public async Task Jwt_settings_are_validated_at_start()
    {
        var settings = ValidSettings();
        settings["AiGuard:Jwt:Authority"] = "http://idp.example";
        settings["AiGuard:Jwt:SigningKeys:0:Secret"] = "c2hvcnQ=";
        settings["AiGuard:Jwt:SigningKeys:1:PublicKeyPem"] = "not a key";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Jwt:Audiences must name at least one accepted audience: a token for another service must not be accepted here.", error.Errors);
        Assert.Contains("AiGuard:Jwt:Authority uses http: set AiGuard:Jwt:RequireHttpsMetadata to false only for a provider on loopback.", error.Errors);
        Assert.Contains("AiGuard:Jwt:SigningKeys:0:Secret must be base64 of at least 32 bytes.", error.Errors);
        Assert.Contains("AiGuard:Jwt:SigningKeys:1:PublicKeyPem is not a PEM RSA or EC public key.", error.Errors);
    }

    [Fact]
    public async Task An_unknown_rate_limit_kind_is_refused_with_the_known_kinds()
    {
        var settings = ValidSettings();
        settings["AiGuard:RateLimits:Policies:x:Kind"] = "LeakyBucket";
        settings["AiGuard:RateLimits:Policies:x:PermitLimit"] = "1";

        var error = await StartFailsAsync(settings);

        Assert.Contains(error.Errors, e => e.Contains("AiGuard:RateLimits:Policies:x:Kind", StringComparison.Ordinal) && e.Contains("FixedWindow, SlidingWindow, TokenBucket, Concurrency", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HashCookie_affinity_starts()
    {
        var settings = ValidSettings();
        settings["ReverseProxy:Clusters:llm:SessionAffinity:Enabled"] = "true";
        settings["ReverseProxy:Clusters:llm:SessionAffinity:Policy"] = "HashCookie";
        settings["ReverseProxy:Clusters:llm:SessionAffinity:AffinityKeyName"] = "aiguard-affinity";

        await StartsAsync(settings);
    }

    [Theory]
    [InlineData("AuthorizationPolicy", "Anonymous", "AiGuard authenticates and authorizes every route itself")]
    [InlineData("CorsPolicy", "default", "model APIs are called by servers")]
    [InlineData("OutputCachePolicy", "cache", "answers to one client must never be served to another")]
    public async Task Route_settings_aiguard_replaces_are_refused_naming_the_route(string setting, string value, string reason)
    {
        var settings = ValidSettings();
        settings[$"ReverseProxy:Routes:chat:{setting}"] = value;

        var error = await StartFailsAsync(settings);

        Assert.Contains($"ReverseProxy:Routes:chat:{setting} is not supported: {reason}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Route_without_an_aiguard_policy_is_refused_saying_how_to_add_one()
    {
        var settings = ValidSettings();
        settings.Remove("ReverseProxy:Routes:chat:Metadata:AiGuard.Policy");

        var error = await StartFailsAsync(settings);

        Assert.Contains("ReverseProxy:Routes:chat has no AiGuard policy: add \"Metadata\": { \"AiGuard.Policy\": \"<name>\" } naming one of AiGuard:Policies (known: chat)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Route_naming_an_unknown_policy_is_refused_listing_the_known_ones()
    {
        var settings = ValidSettings();
        settings["ReverseProxy:Routes:chat:Metadata:AiGuard.Policy"] = "chta";

        var error = await StartFailsAsync(settings);

        Assert.Contains("ReverseProxy:Routes:chat:Metadata:AiGuard.Policy names the policy 'chta', which is not under AiGuard:Policies (known: chat)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_protocol_is_refused_listing_the_known_ones()
    {
        var settings = ValidSettings();
        settings["AiGuard:Policies:chat:Protocol"] = "grpc";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Policies:chat:Protocol 'grpc' is not one of: openai, open-inference-v2, tf-serving", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Route_to_a_cluster_that_does_not_exist_is_refused()
    {
        var settings = ValidSettings();
        settings["ReverseProxy:Routes:chat:ClusterId"] = "lm";

        var error = await StartFailsAsync(settings);

        Assert.Contains("ReverseProxy:Routes:chat:ClusterId names the cluster 'lm', which is not under ReverseProxy:Clusters (known: llm)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:9")]
    [InlineData("ftp://127.0.0.1/")]
    [InlineData("not a url")]
    public async Task An_invalid_destination_address_is_refused_naming_it(string address)
    {
        var settings = ValidSettings();
        settings["ReverseProxy:Clusters:llm:Destinations:d1:Address"] = address;

        var error = await StartFailsAsync(settings);

        Assert.Contains($"ReverseProxy:Clusters:llm:Destinations:d1:Address '{address}' is not an absolute http:// or https:// URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_allowed_content_type_is_refused()
    {
        var settings = ValidSettings();
        settings["AiGuard:Limits:AllowedContentTypes:0"] = "application/json";
        settings["AiGuard:Limits:AllowedContentTypes:1"] = "";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Limits:AllowedContentTypes must name at least one media type, and no empty one", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_values_that_do_not_parse_are_refused_instead_of_dropping_the_key()
    {
        var key = ApiKeyFormat.Generate();
        var settings = ValidSettings();
        settings["AiGuard:ApiKeys:Keys:0:Id"] = key.Id;
        settings["AiGuard:ApiKeys:Keys:0:Hash"] = key.Hash;
        settings["AiGuard:ApiKeys:Keys:0:ExpiresAt"] = "next tuesday";
        settings["AiGuard:ApiKeys:Keys:0:Revoked"] = "yes";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:ApiKeys:Keys:0:ExpiresAt: 'next tuesday' is not a date and time (ISO 8601, for example 2027-06-30T00:00:00Z)", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:ApiKeys:Keys:0:Revoked: 'yes' is not true or false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_number_that_is_not_a_number_is_named_as_such()
    {
        var settings = ValidSettings();
        settings["AiGuard:Limits:MaxBodyBytes"] = "abc";

        var error = await StartFailsAsync(settings);

        Assert.Equal(["AiGuard:Limits:MaxBodyBytes: 'abc' is not a whole number."], error.Errors);
    }

    [Theory]
    [InlineData("AiGuard:Limits:MaxBodyBytes", "4294967296")]
    [InlineData("AiGuard:Limits:MaxBodyBytes", "0")]
    [InlineData("AiGuard:Policies:chat:Limits:MaxBodyBytes", "2147483648")]
    public async Task A_body_limit_beyond_what_fits_in_memory_is_refused_at_start(string setting, string value)
    {
        var settings = ValidSettings();
        settings[setting] = value;

        var error = await StartFailsAsync(settings);

        Assert.Contains($"{setting} must be between 1 and 1073741824 (1 GiB)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_entry_holding_a_plain_key_is_refused_without_echoing_it()
    {
        var key = ApiKeyFormat.Generate();
        var settings = ValidSettings();
        settings["AiGuard:ApiKeys:Keys:0:Id"] = key.Id;
        settings["AiGuard:ApiKeys:Keys:0:Hash"] = key.Key;

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:ApiKeys:Keys:0:Hash must be 'sha256:'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Key, error.Message, StringComparison.Ordinal);
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
    public async Task Every_problem_is_reported_at_once()
    {
        var settings = ValidSettings();
        settings["AiGuard:Policies:chat:Limits:MaxJsonDepth"] = "0";
        settings["AiGuard:Limits:MaxBodyBytes"] = "-5";
        settings["AiGuard:Policies:chat:Output:Hardening:Decimals"] = "20";

        var error = await StartFailsAsync(settings);

        Assert.Equal(3, error.Errors.Count);
        Assert.Contains("AiGuard:Policies:chat:Limits:MaxJsonDepth must be between 1 and 1000", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Limits:MaxBodyBytes must be between 1 and", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Policies:chat:Output:Hardening:Decimals must be between 0 and 15", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configured_anomaly_model_that_does_not_exist_is_refused()
    {
        var settings = ValidSettings();
        settings["AiGuard:Anomaly:Model:Path"] = "/nonexistent/model.onnx";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Anomaly:Model:Path names '/nonexistent/model.onnx', which does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generation_parameters_on_a_tensor_policy_or_out_of_range_stop_the_start_with_the_setting_named()
    {
        var settings = ValidSettings();
        settings["AiGuard:Policies:tensor:Protocol"] = "open-inference-v2";
        settings["AiGuard:Policies:tensor:Parameters:MaxTokens"] = "10";
        settings["AiGuard:Policies:chat:Parameters:MaxN"] = "0";
        settings["AiGuard:Policies:chat:Parameters:MaxTopLogprobs"] = "21";
        settings["AiGuard:Policies:chat:Parameters:Logprobs"] = "Sometimes";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Policies:chat:Parameters:Logprobs", error.Message, StringComparison.Ordinal);
        settings["AiGuard:Policies:chat:Parameters:Logprobs"] = "Strip";
        error = await StartFailsAsync(settings);
        Assert.Contains("AiGuard:Policies:tensor:Parameters applies to the openai protocol only", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Policies:chat:Parameters: MaxTokens and MaxN must be at least 1.", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Policies:chat:Parameters:MaxTopLogprobs must be between 0 and 20.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sensitive_data_settings_name_known_types_and_regions_on_openai_policies_only()
    {
        var settings = ValidSettings();
        settings["AiGuard:Policies:chat:SensitiveData:Actions:CreditCards"] = "Redact";
        settings["AiGuard:Policies:chat:SensitiveData:PhoneRegions:0"] = "XX";
        settings["AiGuard:Policies:tensor:Protocol"] = "open-inference-v2";
        settings["AiGuard:Policies:tensor:SensitiveData:Actions:Email"] = "Block";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Policies:chat:SensitiveData:Actions:CreditCards is not an entity type; known: CreditCard, Iban, Email, Phone, IpAddress, UsSsn, Secret.", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Policies:chat:SensitiveData:PhoneRegions names 'XX'", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Policies:tensor:SensitiveData applies to the openai protocol only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answer_guard_settings_are_checked()
    {
        var settings = ValidSettings();
        settings["AiGuard:Policies:chat:SensitiveData:ResponseActions:Passport"] = "Block";
        settings["AiGuard:Policies:chat:PromptLeak:Canaries:0"] = "abc";
        settings["AiGuard:Policies:chat:PromptLeak:MaxOverlap"] = "0";
        settings["AiGuard:Policies:tensor:Protocol"] = "open-inference-v2";
        settings["AiGuard:Policies:tensor:PromptLeak:SystemPrompts:0"] = "You are a classifier that never explains itself.";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Policies:chat:SensitiveData:ResponseActions:Passport is not an entity type", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Policies:chat:PromptLeak:Canaries must each be at least 8 characters", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Policies:chat:PromptLeak:MaxOverlap must be above 0 and at most 1.", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Policies:tensor:PromptLeak applies to the openai protocol only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_anomaly_reference_that_is_missing_or_not_a_reference_is_refused_and_learning_settings_are_checked()
    {
        var notReference = Path.Combine(Path.GetTempPath(), $"aiguard-reference-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(notReference, "{\"format\":1,\"width\":4}");
        try
        {
            var settings = ValidSettings();
            settings["AiGuard:Anomaly:References:demo-classifier"] = "/nonexistent/reference.json";
            settings["AiGuard:Anomaly:References:other"] = notReference;
            settings["AiGuard:Anomaly:Learning:MinClients"] = "0";

            var error = await StartFailsAsync(settings);

            Assert.Contains("AiGuard:Anomaly:References:demo-classifier names '/nonexistent/reference.json', which is not a readable reference file", error.Message, StringComparison.Ordinal);
            Assert.Contains($"AiGuard:Anomaly:References:other names '{notReference}', which is not a readable reference file: The reference's coordinates do not match width 4.", error.Message, StringComparison.Ordinal);
            Assert.Contains("AiGuard:Anomaly:Learning: RequestsPerClient and MinClients must be at least 1, MinRows at least 2.", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(notReference);
        }
    }

    [Fact]
    public async Task A_configured_anomaly_model_is_loaded_at_start_with_its_manifest_and_a_wrong_pin_stops_the_start()
    {
        var model = Path.Combine(Path.GetTempPath(), $"aiguard-model-{Guid.NewGuid():N}.onnx");
        var trained = AnomalyModels.Small;
        var manifest = trained.WriteFiles(model);
        try
        {
            var settings = ValidSettings();
            settings["AiGuard:Anomaly:Model:Path"] = model;
            settings["AiGuard:Anomaly:Model:Sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(model)));
            settings["AiGuard:Anomaly:Model:ExpectedFeatureSchemaVersion"] = AiGuard.Anomaly.AnomalyFeatures.SchemaVersion;
            await using (var app = Build(settings))
            {
                await app.StartAsync();
                var scorer = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<AiGuard.Anomaly.AnomalyModelHost>(app.Services).Scorer;
                Assert.Equal(AiGuard.Anomaly.AnomalyFeatures.Count, scorer!.FeatureCount);
                Assert.Equal(AiGuard.Anomaly.AnomalyFeatures.Names, scorer.FeatureNames);
                Assert.Equal(trained.BenignMedians, scorer.BenignMedians);
                await app.StopAsync();
            }

            settings["AiGuard:Anomaly:Model:Sha256"] = new string('0', 64);
            var error = await StartFailsAsync(settings);

            Assert.StartsWith("The configuration is not valid: AiGuard:Anomaly:Model: Refusing to load anomaly model", error.Message, StringComparison.Ordinal);
            Assert.Contains(new string('0', 64), error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(model);
            File.Delete(manifest);
        }
    }

    [Fact]
    public async Task A_misspelt_setting_is_logged_as_a_warning_naming_the_closest_known_name()
    {
        var log = Path.Combine(Path.GetTempPath(), $"aiguard-warn-{Guid.NewGuid():N}.log");
        var settings = ValidSettings();
        settings["AiGuard:Limits:MaxBodyByte"] = "2048";
        settings["AiGuard:Polices:x:Protocol"] = "openai";
        settings["Serilog:WriteTo:0:Name"] = "File";
        settings["Serilog:WriteTo:0:Args:path"] = log;
        try
        {
            await StartsAsync(settings);

            var text = await File.ReadAllTextAsync(log);
            Assert.Contains("AiGuard:Limits:MaxBodyByte is not a known setting and is ignored; did you mean AiGuard:Limits:MaxBodyBytes?", text, StringComparison.Ordinal);
            Assert.Contains("AiGuard:Polices is not a known setting and is ignored; did you mean AiGuard:Policies?", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task An_audit_file_that_cannot_be_written_with_console_audit_off_stops_the_start()
    {
        var blocker = Path.Combine(Path.GetTempPath(), $"aiguard-file-not-dir-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(blocker, "x");
        var settings = ValidSettings();
        settings["AiGuard:Audit:FilePath"] = Path.Combine(blocker, "audit.log");
        try
        {
            var error = await StartFailsAsync(settings);

            Assert.Contains("AiGuard:Audit:FilePath", error.Message, StringComparison.Ordinal);
            Assert.Contains("cannot be written", error.Message, StringComparison.Ordinal);

            settings["AiGuard:Audit:FallbackToConsole"] = "true";
            await StartsAsync(settings);
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    [Fact]
    public async Task Audit_with_no_destination_at_all_stops_the_start()
    {
        var settings = ValidSettings();
        settings["AiGuard:Audit:FilePath"] = "";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Audit has no destination", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_already_in_use_is_one_line_naming_the_address_and_how_to_change_it()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var settings = ValidSettings();
        var app = GatewayApp.Build([], builder =>
        {
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(GatewayUnderTest.TestDefaults);
            builder.Configuration.AddInMemoryCollection(settings);
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        await app.DisposeAsync();

        var message = GatewayHost.Describe(error);
        Assert.NotNull(message);
        Assert.Contains($"127.0.0.1:{port}", message, StringComparison.Ordinal);
        Assert.Contains("--urls", message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public async Task Anomaly_policy_mistakes_are_named_and_stop_the_start()
    {
        var settings = ValidSettings();
        settings["AiGuard:Policies:chat:Anomaly"] = "wach";
        settings["AiGuard:Anomaly:Policies:watch:Actions:0:Threshold"] = "1.5";
        settings["AiGuard:Anomaly:Policies:watch:Actions:0:Action"] = "Flag";
        settings["AiGuard:Anomaly:Policies:watch:Actions:1:Threshold"] = "0.9";
        settings["AiGuard:Anomaly:Policies:watch:Actions:1:Action"] = "Throttle";
        settings["AiGuard:Anomaly:Policies:watch:Actions:1:PerMinute"] = "0";
        settings["AiGuard:Anomaly:Policies:empty:HoldFor"] = "00:00:00";
        settings["AiGuard:Anomaly:MaxClients"] = "0";
        settings["AiGuard:Anomaly:ConfirmingScores"] = "9";
        settings["AiGuard:Anomaly:BatchLinger"] = "00:00:02";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Policies:chat:Anomaly names 'wach', which is not a policy under AiGuard:Anomaly:Policies", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Anomaly:Policies:watch:Actions:0:Threshold must be in (0, 1]", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Anomaly:Policies:watch:Actions:1:PerMinute must be at least 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Anomaly:Policies:empty:Actions is empty", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Anomaly:Policies:empty:HoldFor must be a positive duration", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Anomaly:MaxClients must be at least 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Anomaly:ConfirmingScores must be between 1 and 8", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Anomaly:BatchLinger must be between 00:00:00 and 00:00:01", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anomaly_settings_that_do_not_parse_are_named_and_stop_the_start()
    {
        var settings = ValidSettings();
        settings["AiGuard:Anomaly:Policies:odd:Actions:0:Threshold"] = "0.5";
        settings["AiGuard:Anomaly:Policies:odd:Actions:0:Action"] = "Block";
        settings["AiGuard:Anomaly:MinRequests"] = "eight";

        var error = await StartFailsAsync(settings);

        Assert.Contains("AiGuard:Anomaly:MinRequests: 'eight' is not a whole number.", error.Message, StringComparison.Ordinal);
        Assert.Contains("AiGuard:Anomaly:Policies:odd:Actions:0:Action: 'Block' is not one of: Observe, Flag, Harden, Throttle, Quarantine.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_route_with_an_anomaly_policy_starts_with_the_shipped_model()
    {
        var settings = ValidSettings();
        settings["AiGuard:Policies:chat:Anomaly"] = "watch";
        settings["AiGuard:Anomaly:Policies:watch:Actions:0:Threshold"] = "0.99";
        settings["AiGuard:Anomaly:Policies:watch:Actions:0:Action"] = "Flag";

        await using var app = Build(settings);
        await app.StartAsync();

        var scorer = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<AiGuard.Anomaly.AnomalyModelHost>(app.Services).Scorer;
        Assert.NotNull(scorer);
        Assert.Equal(AiGuard.Anomaly.AnomalyFeatures.Count, scorer.FeatureCount);
        Assert.Equal(AiGuard.Anomaly.AnomalyFeatures.SchemaVersion, scorer.FeatureSchemaVersion);
        Assert.EndsWith("models/anomaly.onnx", scorer.ModelPath, StringComparison.Ordinal);
    }
}
