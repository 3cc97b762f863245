using AiGuard.Identity;

namespace AiGuard.Tests.Identity;

public class ApiKeyFormatTests
{
    [Fact]
    public void Generated_key_has_prefix_id_and_high_entropy_secret()
    {
        var generated = ApiKeyFormat.Generate("agk");

        var parts = generated.Key.Split('_');
        Assert.Equal(3, parts.Length);
        Assert.Equal("agk", parts[0]);
        Assert.Equal(generated.Id, parts[1]);
        Assert.Equal(ApiKeyFormat.IdLength, parts[1].Length);
        Assert.Equal(ApiKeyFormat.SecretLength, parts[2].Length);
        Assert.All(parts[2], c => Assert.True(char.IsAsciiLetterOrDigit(c)));
    }

    [Fact]
    public void Generated_keys_are_unique()
    {
        var keys = Enumerable.Range(0, 1000).Select(_ => ApiKeyFormat.Generate().Key).ToHashSet();

        Assert.Equal(1000, keys.Count);
    }

    [Fact]
    public void Stored_hash_is_the_sha256_of_the_whole_key()
    {
        // Known answer, computed independently (Python: hashlib.sha256(key.encode()).hexdigest()).
        const string key = "agk_000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

        Assert.Equal("sha256:0e1078c8a56d184462b2f0021c6146ea1adcec44121aba9c12d24b9d2c28ae5e", ApiKeyFormat.Hash(key));
    }

    [Fact]
    public void A_generated_key_is_stored_only_as_its_hash_and_never_printed_by_accident()
    {
        var generated = ApiKeyFormat.Generate();

        Assert.Equal(ApiKeyFormat.Hash(generated.Key), generated.Hash);
        Assert.DoesNotContain(generated.Key, generated.ToString(), StringComparison.Ordinal);
        Assert.Contains(generated.Id, generated.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Matches_accepts_the_key_and_rejects_a_one_character_change()
    {
        var generated = ApiKeyFormat.Generate();
        Assert.True(ApiKeyFormat.TryDecodeHash(generated.Hash, out var digest));

        var tampered = generated.Key[..^1] + (generated.Key[^1] == 'a' ? 'b' : 'a');

        Assert.True(ApiKeyFormat.Matches(generated.Key, digest));
        Assert.False(ApiKeyFormat.Matches(tampered, digest));
    }

    [Theory]
    [InlineData("")]
    [InlineData("agk")]
    [InlineData("agk_onlyid")]
    [InlineData("agk__secret")]
    [InlineData("agk_id_")]
    [InlineData("agk_id_sec_ret")]
    [InlineData("agk_id!_secret")]
    [InlineData("_id_secret")]
    public void Malformed_keys_do_not_parse(string key)
    {
        Assert.False(ApiKeyFormat.TryParse(key, out string _, out string _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("md5:abcd")]
    [InlineData("sha256:xyz")]
    [InlineData("sha256:0123")]
    [InlineData("sha256:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")]
    public void Malformed_stored_hashes_are_rejected(string? stored)
    {
        Assert.False(ApiKeyFormat.TryDecodeHash(stored, out _));
    }

    [Fact]
    public void ToString_of_a_generated_key_does_not_reveal_it()
    {
        var generated = ApiKeyFormat.Generate();

        Assert.DoesNotContain(generated.Key, generated.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_well_formed_key_parses_into_its_prefix_and_id()
    {
        Assert.True(ApiKeyFormat.TryParse("agk_Id42_s3cret", out string prefix, out string id));

        Assert.Equal("agk", prefix);
        Assert.Equal("Id42", id);
    }

    [Fact]
    public void A_malformed_key_yields_no_prefix_and_no_id()
    {
        Assert.False(ApiKeyFormat.TryParse("agk_only", out string prefix, out string id));

        Assert.Equal(string.Empty, prefix);
        Assert.Equal(string.Empty, id);
    }

    [Fact]
    public void Keys_up_to_256_characters_parse_and_longer_ones_do_not()
    {
        var longest = "agk_id_" + new string('s', 256 - 7);
        var tooLong = longest + "s";

        Assert.True(ApiKeyFormat.TryParse(longest, out string _, out string _));
        Assert.False(ApiKeyFormat.TryParse(tooLong, out string _, out string _));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("abcdefghijklmnop")]
    public void A_prefix_is_1_to_16_letters_or_digits(string prefix)
    {
        Assert.StartsWith(prefix + "_", ApiKeyFormat.Generate(prefix).Key, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abcdefghijklmnopq")]
    [InlineData("ag_k")]
    [InlineData("agk!")]
    public void A_key_with_a_bad_prefix_is_not_generated(string prefix)
    {
        var error = Assert.Throws<ArgumentException>(() => ApiKeyFormat.Generate(prefix));

        Assert.StartsWith("A key prefix is 1 to 16 letters or digits.", error.Message, StringComparison.Ordinal);
    }
}
