using AiGuard.Admin;

namespace AiGuard.Tests.Admin;

public class AdminDurationTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("2h", 7200)]
    [InlineData("7d", 604800)]
    [InlineData("1h30m", 5400)]
    [InlineData("1d2h3m4s", 93784)]
    [InlineData("PT15M", 900)]
    [InlineData("P1DT1H", 90000)]
    [InlineData("00:15:00", 900)]
    [InlineData(" 15M ", 900)]
    public void Durations_operators_type_are_read(string text, long seconds)
    {
        Assert.True(AdminDuration.TryParse(text, out var duration, out var problem), problem);
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("15")]
    [InlineData("m15")]
    [InlineData("-5m")]
    [InlineData("0s")]
    [InlineData("5x")]
    [InlineData("30m1h")]
    [InlineData("1h1h")]
    [InlineData("366d")]
    [InlineData("99999999999999d")]
    [InlineData("PT-5M")]
    [InlineData("-00:05:00")]
    public void Anything_else_is_refused_with_a_reason(string? text)
    {
        Assert.False(AdminDuration.TryParse(text, out _, out var problem));
        Assert.NotEmpty(problem);
    }

    [Theory]
    [InlineData(5400, "1h30m")]
    [InlineData(90, "1m30s")]
    [InlineData(604800, "7d")]
    [InlineData(0, "0s")]
    public void Durations_are_shown_the_way_they_are_typed(long seconds, string text)
    {
        Assert.Equal(text, AdminDuration.Format(TimeSpan.FromSeconds(seconds)));
    }
}

public class EffectiveConfigurationTests
{
    [Theory]
    [InlineData("AiGuard:ApiKeys:Keys:0:Hash")]
    [InlineData("AiGuard:Admin:Keys:0:Hash")]
    [InlineData("AiGuard:Upstreams:demo:Credential")]
    [InlineData("AiGuard:Upstreams:demo:Headers:x-anything")]
    [InlineData("AiGuard:Jwt:SigningKeys:0:Secret")]
    [InlineData("AiGuard:Policies:llm:PromptLeak:Canaries:0")]
    [InlineData("AiGuard:Policies:llm:PromptLeak:SystemPrompts:1")]
    [InlineData("Kestrel:Certificates:Default:Password")]
    [InlineData("Kestrel:Endpoints:Https:Certificate:KeyPassword")]
    [InlineData("Some:ConnectionString")]
    [InlineData("AiGuard:Sensitive:HmacKey")]
    [InlineData("ReverseProxy:Routes:chat:Transforms:0:Set")]
    [InlineData("ReverseProxy:Routes:chat:Transforms:1:Append")]
    [InlineData("Serilog:WriteTo:1:Args:headers:Authorization")]
    public void Secret_settings_are_known_by_name(string path)
    {
        Assert.True(EffectiveConfiguration.IsSecretPath(path));
        Assert.Equal(EffectiveConfiguration.Mask, EffectiveConfiguration.MaskValue(path, "value-1234"));
    }

    [Theory]
    [InlineData("AiGuard:ApiKeys:Keys:0:Id", "Ab12Cd34Ef56")]
    [InlineData("AiGuard:Upstreams:demo:CredentialHeader", "Authorization")]
    [InlineData("AiGuard:Upstreams:demo:CredentialEnvironmentVariable", "UPSTREAM_KEY")]
    [InlineData("AiGuard:Admin:KeyPrefix", "aga")]
    [InlineData("AiGuard:Policies:llm:Parameters:MaxTokens", "2048")]
    [InlineData("AiGuard:Policies:llm:PromptLeak:ProtectRequestSystemPrompt", "true")]
    [InlineData("ReverseProxy:Routes:chat:Match:Path", "/v1/chat/completions")]
    [InlineData("ReverseProxy:Routes:chat:Transforms:0:RequestHeader", "api-key")]
    [InlineData("ReverseProxy:Routes:chat:Transforms:1:PathRemovePrefix", "/openai")]
    [InlineData("ReverseProxy:Routes:chat:Match:Headers:0:Name", "x-tenant")]
    [InlineData("ReverseProxy:Routes:chat:Match:Headers:0:Values:0", "blue")]
    public void Ordinary_settings_are_shown_as_they_are(string path, string value)
    {
        Assert.Equal(value, EffectiveConfiguration.MaskValue(path, value));
    }

    [Fact]
    public void Secrets_inside_ordinary_values_are_masked()
    {
        Assert.Equal("cache:6379,password=***,ssl=true", EffectiveConfiguration.MaskValue("AiGuard:Redis:Configuration", "cache:6379,password=hunter2-xyz,ssl=true"));
        Assert.Equal("https://***@models.internal/v1", EffectiveConfiguration.MaskValue("ReverseProxy:Clusters:c:Destinations:d:Address", "https://svc:pw@models.internal/v1"));
        var key = AiGuard.Identity.ApiKeyFormat.Generate();
        Assert.Equal(EffectiveConfiguration.Mask, EffectiveConfiguration.MaskValue("Anything:Note", key.Key));
        Assert.DoesNotContain("ghp_", EffectiveConfiguration.MaskValue("Anything:Note", "use ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8 here"), StringComparison.Ordinal);
    }
}
