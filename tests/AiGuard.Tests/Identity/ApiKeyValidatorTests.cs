using AiGuard.Identity;
using AiGuard.Pipeline;
using Microsoft.Extensions.Options;

namespace AiGuard.Tests.Identity;

public class ApiKeyValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static (ApiKeyValidator Validator, GeneratedApiKey Key, ApiKeyEntry Entry) Setup(Action<ApiKeyEntry>? change = null)
    {
        var key = ApiKeyFormat.Generate();
        var entry = new ApiKeyEntry
        {
            Id = key.Id,
            Hash = key.Hash,
            ClientId = "alice",
            Tenant = "acme",
            Scopes = ["inference"],
            AllowedRoutes = ["*"],
            AllowedModels = ["demo-*"],
        };
        change?.Invoke(entry);
        var options = new ApiKeyOptions { Keys = [entry] };
        return (new ApiKeyValidator(new StaticMonitor<ApiKeyOptions>(options), new ManualClock(Now)), key, entry);
    }

    [Fact]
    public void Valid_key_yields_the_configured_identity()
    {
        var (validator, key, _) = Setup();

        var result = validator.Validate(key.Key);

        Assert.True(result.Succeeded);
        Assert.Equal("alice", result.Identity!.ClientId);
        Assert.Equal("acme", result.Identity.Tenant);
        Assert.Equal(key.Id, result.Identity.KeyId);
        Assert.Contains("inference", result.Identity.Scopes);
    }

    [Fact]
    public void Client_id_defaults_to_the_key_id()
    {
        var (validator, key, _) = Setup(e => e.ClientId = null);

        Assert.Equal(key.Id, validator.Validate(key.Key).Identity!.ClientId);
    }

    [Fact]
    public void Wrong_secret_and_unknown_id_fail_the_same_way_without_naming_the_key()
    {
        var (validator, key, _) = Setup();
        var wrongSecret = key.Key[..^4] + "AAAA";
        var unknownId = ApiKeyFormat.Generate().Key;

        var a = validator.Validate(wrongSecret);
        var b = validator.Validate(unknownId);

        Assert.Equal(ProblemCodes.InvalidApiKey, a.FailureCode);
        Assert.Equal(ProblemCodes.InvalidApiKey, b.FailureCode);
        Assert.Null(a.KeyId);
        Assert.Null(b.KeyId);
    }

    [Fact]
    public void Key_with_another_prefix_is_invalid()
    {
        var (validator, key, _) = Setup();

        Assert.Equal(ProblemCodes.InvalidApiKey, validator.Validate("xyz" + key.Key[3..]).FailureCode);
    }

    [Fact]
    public void Revoked_key_fails_as_revoked()
    {
        var (validator, key, _) = Setup(e => e.Revoked = true);

        var result = validator.Validate(key.Key);

        Assert.Equal(ProblemCodes.RevokedApiKey, result.FailureCode);
        Assert.Equal(key.Id, result.KeyId);
    }

    [Fact]
    public void Key_is_expired_from_its_expiry_instant_on()
    {
        var (validator, key, _) = Setup(e => e.ExpiresAt = Now);

        Assert.Equal(ProblemCodes.ExpiredApiKey, validator.Validate(key.Key).FailureCode);
    }

    [Fact]
    public void Key_expiring_later_is_valid()
    {
        var (validator, key, _) = Setup(e => e.ExpiresAt = Now.AddSeconds(1));

        Assert.True(validator.Validate(key.Key).Succeeded);
    }

    [Fact]
    public void Reloaded_options_take_effect_for_the_next_request()
    {
        var key = ApiKeyFormat.Generate();
        var monitor = new StaticMonitor<ApiKeyOptions>(new ApiKeyOptions());
        var validator = new ApiKeyValidator(monitor, new ManualClock(Now));
        Assert.False(validator.Validate(key.Key).Succeeded);

        monitor.Set(new ApiKeyOptions { Keys = [new ApiKeyEntry { Id = key.Id, Hash = key.Hash, AllowedModels = ["*"] }] });

        Assert.True(validator.Validate(key.Key).Succeeded);
    }
}

/// <summary>An options monitor whose value the test replaces.</summary>
public sealed class StaticMonitor<T>(T value) : IOptionsMonitor<T>
{
    private readonly List<Action<T, string?>> _listeners = [];

    public T CurrentValue { get; private set; } = value;

    public T Get(string? name) => CurrentValue;

    public IDisposable OnChange(Action<T, string?> listener)
    {
        _listeners.Add(listener);
        return new Unsubscribe();
    }

    public void Set(T value)
    {
        CurrentValue = value;
        foreach (var listener in _listeners)
        {
            listener(value, null);
        }
    }

    private sealed class Unsubscribe : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
