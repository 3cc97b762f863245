using System.Diagnostics;
using AiGuard.Identity;
using AiGuard.Pipeline;

namespace AiGuard.Tests.Identity;

public class ApiKeyStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static (ApiKeyStore Store, GeneratedApiKey Key) Setup(Action<ApiKeyEntry>? change = null)
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
        return (ApiKeyStore.Build(new ApiKeyOptions { Keys = [entry] }), key);
    }

    [Fact]
    public void Valid_key_yields_the_configured_identity_and_principal()
    {
        var (store, key) = Setup();

        var result = store.Validate(key.Key, Now);

        Assert.True(result.Succeeded);
        Assert.Equal("alice", result.Identity!.ClientId);
        Assert.Equal("acme", result.Identity.Tenant);
        Assert.Equal(key.Id, result.Identity.KeyId);
        Assert.Contains("inference", result.Identity.Scopes);
        Assert.Equal("alice", result.Principal!.FindFirst(ClientIdentity.ClaimClientId)!.Value);
        Assert.True(result.Principal.Identity!.IsAuthenticated);
    }

    [Fact]
    public void The_principal_is_built_once_per_key_not_per_request()
    {
        var (store, key) = Setup();

        Assert.Same(store.Validate(key.Key, Now).Principal, store.Validate(key.Key, Now).Principal);
    }

    [Fact]
    public void Client_id_defaults_to_the_key_id()
    {
        var (store, key) = Setup(e => e.ClientId = null);

        Assert.Equal(key.Id, store.Validate(key.Key, Now).Identity!.ClientId);
    }

    [Fact]
    public void Wrong_secret_and_unknown_id_fail_the_same_way_without_naming_the_key()
    {
        var (store, key) = Setup();
        var wrongSecret = key.Key[..^4] + (key.Key.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        var unknownId = ApiKeyFormat.Generate().Key;

        var a = store.Validate(wrongSecret, Now);
        var b = store.Validate(unknownId, Now);

        Assert.Equal(ProblemCodes.InvalidApiKey, a.FailureCode);
        Assert.Equal(ProblemCodes.InvalidApiKey, b.FailureCode);
        Assert.Null(a.KeyId);
        Assert.Null(b.KeyId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-key")]
    [InlineData("agk__secret")]
    [InlineData("sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    public void Malformed_keys_are_invalid(string presented)
    {
        var (store, _) = Setup();

        Assert.Equal(ProblemCodes.InvalidApiKey, store.Validate(presented, Now).FailureCode);
    }

    [Fact]
    public void The_stored_hash_itself_is_not_a_key()
    {
        var (store, key) = Setup();

        Assert.False(store.Validate(key.Hash, Now).Succeeded);
    }

    [Fact]
    public void Key_with_another_prefix_is_invalid()
    {
        var (store, key) = Setup();

        Assert.Equal(ProblemCodes.InvalidApiKey, store.Validate("xyz" + key.Key[3..], Now).FailureCode);
    }

    [Fact]
    public void Revoked_key_fails_as_revoked_and_names_its_id()
    {
        var (store, key) = Setup(e => e.Revoked = true);

        var result = store.Validate(key.Key, Now);

        Assert.Equal(ProblemCodes.RevokedApiKey, result.FailureCode);
        Assert.Equal(key.Id, result.KeyId);
    }

    [Fact]
    public void Key_is_expired_from_its_expiry_instant_on()
    {
        var (store, key) = Setup(e => e.ExpiresAt = Now);

        Assert.Equal(ProblemCodes.ExpiredApiKey, store.Validate(key.Key, Now).FailureCode);
        Assert.True(store.Validate(key.Key, Now.AddTicks(-1)).Succeeded);
    }

    [Fact]
    public void A_revoked_key_with_a_wrong_secret_is_just_invalid()
    {
        var (store, key) = Setup(e => e.Revoked = true);

        var result = store.Validate(key.Key[..^1] + (key.Key[^1] == 'A' ? 'B' : 'A'), Now);

        Assert.Equal(ProblemCodes.InvalidApiKey, result.FailureCode);
        Assert.Null(result.KeyId);
    }

    /// <summary>
    /// Timing must not reveal which key ids exist: an unknown id is hashed and compared like a
    /// known one. Measured as the fastest of several rounds (robust to a busy machine); without
    /// the equal work an unknown id answers several times faster than a wrong secret.
    /// </summary>
    [Fact]
    public void An_unknown_id_costs_as_much_time_as_a_wrong_secret()
    {
        var (store, key) = Setup();
        var wrongSecret = key.Key[..^4] + (key.Key.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        var unknownId = ApiKeyFormat.Generate().Key;
        for (var i = 0; i < 2000; i++)
        {
            store.Validate(wrongSecret, Now);
            store.Validate(unknownId, Now);
        }

        double Fastest(string presented)
        {
            var best = double.MaxValue;
            for (var round = 0; round < 15; round++)
            {
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < 400; i++)
                {
                    store.Validate(presented, Now);
                }

                best = Math.Min(best, watch.Elapsed.TotalMicroseconds / 400);
            }

            return best;
        }

        var known = Fastest(wrongSecret);
        var unknown = Fastest(unknownId);

        Assert.True(unknown > known * 0.6, $"unknown id {unknown:F3} us vs wrong secret {known:F3} us per check");
    }
}
