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

    [Fact]
    public void The_principal_carries_every_scope_of_the_key()
    {
        var (store, key) = Setup(e => e.Scopes = ["inference", "models"]);

        var principal = store.Validate(key.Key, Now).Principal!;

        Assert.Equal(["inference", "models"], principal.FindAll(ClientIdentity.ClaimScope).Select(c => c.Value).Order());
    }

    [Fact]
    public void A_key_without_a_tenant_belongs_to_the_default_tenant()
    {
        var key = ApiKeyFormat.Generate();
        var store = ApiKeyStore.Build(new ApiKeyOptions { Keys = [new ApiKeyEntry { Id = key.Id, Hash = key.Hash }] });

        Assert.Equal("default", store.Validate(key.Key, Now).Identity!.Tenant);
    }

    [Fact]
    public void An_entry_without_an_id_is_not_accepted()
    {
        var key = ApiKeyFormat.Generate();

        Assert.Throws<ArgumentException>(() => ApiKeyStore.Build(new ApiKeyOptions { Keys = [new ApiKeyEntry { Hash = key.Hash }] }));
    }

    [Fact]
    public void An_entry_with_a_bad_hash_is_not_accepted_and_the_error_names_its_id()
    {
        var error = Assert.Throws<ArgumentException>(() => ApiKeyStore.Build(new ApiKeyOptions { Keys = [new ApiKeyEntry { Id = "k1", Hash = "md5:00" }] }));

        Assert.StartsWith("API key entry 'k1' has no valid hash.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_of_another_prefix_is_invalid_even_with_a_matching_id_and_hash()
    {
        // A deployment that changed its prefix: keys issued under the old one stop working.
        var old = ApiKeyFormat.Generate("old");
        var store = ApiKeyStore.Build(new ApiKeyOptions { Prefix = "agk", Keys = [new ApiKeyEntry { Id = old.Id, Hash = old.Hash }] });

        var result = store.Validate(old.Key, Now);

        Assert.Equal(ProblemCodes.InvalidApiKey, result.FailureCode);
    }

    [Fact]
    public void A_very_long_presented_key_is_just_invalid()
    {
        var (store, _) = Setup();

        Assert.Equal(ProblemCodes.InvalidApiKey, store.Validate(new string('k', 20_000), Now).FailureCode);
        Assert.Equal(ProblemCodes.InvalidApiKey, store.Validate("agk_id_" + new string('\u00e9', 5_000), Now).FailureCode);
    }

    [Fact]
    public void A_valid_key_is_accepted_without_a_connection_to_remember_it_on()
    {
        var (store, key) = Setup();

        Assert.True(store.Validate(key.Key, Now, connectionItems: null).Succeeded);
    }

    [Fact]
    public void A_key_remembered_on_a_connection_is_still_checked_for_expiry()
    {
        var (store, key) = Setup(e => e.ExpiresAt = Now.AddMinutes(1));
        var connection = new Dictionary<object, object?>();

        Assert.True(store.Validate(key.Key, Now, connection).Succeeded);
        Assert.True(store.Validate(key.Key, Now, connection).Succeeded);
        Assert.Equal(ProblemCodes.ExpiredApiKey, store.Validate(key.Key, Now.AddMinutes(1), connection).FailureCode);
    }

    [Fact]
    public void Another_key_on_a_connection_that_remembered_a_valid_one_is_checked_on_its_own()
    {
        var (store, key) = Setup();
        var connection = new Dictionary<object, object?>();
        var sameLength = key.Key[..^1] + (key.Key[^1] == 'A' ? 'B' : 'A');

        Assert.True(store.Validate(key.Key, Now, connection).Succeeded);

        Assert.Equal(ProblemCodes.InvalidApiKey, store.Validate(sameLength, Now, connection).FailureCode);
        Assert.Equal(ProblemCodes.InvalidApiKey, store.Validate(key.Key + "x", Now, connection).FailureCode);
        Assert.True(store.Validate(key.Key, Now, connection).Succeeded);
    }

    [Fact]
    public void A_key_remembered_under_one_configuration_is_judged_by_the_next_one()
    {
        var (before, key) = Setup();
        var after = ApiKeyStore.Build(new ApiKeyOptions { Keys = [new ApiKeyEntry { Id = key.Id, Hash = key.Hash, Revoked = true }] });
        var connection = new Dictionary<object, object?>();

        Assert.True(before.Validate(key.Key, Now, connection).Succeeded);

        Assert.Equal(ProblemCodes.RevokedApiKey, after.Validate(key.Key, Now, connection).FailureCode);
    }

    [Fact]
    public void A_refused_key_is_not_remembered_as_valid()
    {
        var (store, key) = Setup(e => e.Revoked = true);
        var connection = new Dictionary<object, object?>();

        Assert.Equal(ProblemCodes.RevokedApiKey, store.Validate(key.Key, Now, connection).FailureCode);
        Assert.Equal(ProblemCodes.RevokedApiKey, store.Validate(key.Key, Now, connection).FailureCode);
    }
}
