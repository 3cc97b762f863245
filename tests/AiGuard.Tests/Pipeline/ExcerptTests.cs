using AiGuard.Pipeline;

namespace AiGuard.Tests.Pipeline;

/// <summary>Client-controlled text is echoed bounded and printable.</summary>
public class ExcerptTests
{
    [Theory]
    [InlineData("gpt-4o", "gpt-4o")]
    [InlineData("abcd", "abcd")]
    [InlineData("", "")]
    public void Short_printable_text_is_kept_as_it_is(string value, string expected)
    {
        Assert.Equal(expected, Excerpt.Of(value, 6));
    }

    [Fact]
    public void Text_of_exactly_the_bound_is_kept_whole_without_a_marker()
    {
        Assert.Equal("abcd", Excerpt.Of("abcd", 4));
    }

    [Fact]
    public void Longer_text_shows_the_bound_then_says_how_long_it_was()
    {
        Assert.Equal("aaaa…(10 characters)", Excerpt.Of(new string('a', 10), 4));
    }

    [Fact]
    public void The_default_bound_is_64_characters()
    {
        Assert.Equal(new string('m', 64) + "…(65 characters)", Excerpt.Of(new string('m', 65)));
    }

    [Theory]
    [InlineData("\n", "\\u000a")]
    [InlineData("\u0007\u001b", "\\u0007\\u001b")]
    [InlineData("line\r\nforged", "line\\u000d\\u000aforged")]
    [InlineData("tab\there", "tab\\u0009here")]
    public void Control_characters_are_escaped_so_they_cannot_forge_log_lines(string value, string expected)
    {
        Assert.Equal(expected, Excerpt.Of(value));
    }

    [Theory]
    [InlineData("hi \U0001F600", "hi \U0001F600")]
    [InlineData("\U0001F600", "\U0001F600")]
    public void A_character_outside_the_bmp_is_kept_whole(string value, string expected)
    {
        Assert.Equal(expected, Excerpt.Of(value));
    }

    [Fact]
    public void A_surrogate_pair_counts_as_one_shown_character()
    {
        Assert.Equal("\U0001F600\U0001F600…(6 characters)", Excerpt.Of("\U0001F600\U0001F600\U0001F600", 2));
    }

    [Fact]
    public void Unpaired_surrogates_are_escaped()
    {
        // Built in code: attribute arguments cannot hold unpaired surrogates.
        Assert.Equal("a\\udc00", Excerpt.Of("a\uDC00"));
        Assert.Equal("a\\ud800", Excerpt.Of("a\uD800"));
        Assert.Equal("\\ud800a", Excerpt.Of("\uD800a"));
        Assert.Equal("\\udc00\\ud800", Excerpt.Of("\uDC00\uD800"));
    }

    [Fact]
    public void Null_is_a_caller_error()
    {
        Assert.Throws<ArgumentNullException>(() => Excerpt.Of(null!));
        Assert.Throws<ArgumentNullException>(() => Excerpt.Scrubbed(null!));
    }

    [Theory]
    [InlineData("gpt-4111 1111 1111 1111", "gpt-[CREDIT_CARD]")]
    [InlineData("demo alice.smith@example.com", "demo [EMAIL]")]
    [InlineData("m-ghp_A9x1DfgQ9qXappdPVgKVqYJ6F8enCHNFTiT9", "m-[SECRET]")]
    [InlineData("llama-3.1-8b-instruct", "llama-3.1-8b-instruct")]
    [InlineData("claude-3-5-sonnet-20241022", "claude-3-5-sonnet-20241022")]
    public void Echoed_client_text_has_personal_data_and_secrets_replaced(string value, string expected)
    {
        Assert.Equal(expected, Excerpt.Scrubbed(value));
    }

    [Fact]
    public void An_entity_the_bound_would_cut_is_replaced_before_the_cut_and_the_length_is_the_original()
    {
        var value = new string('m', 10) + " 4111 1111 1111 1111" + new string('z', 200);

        var shown = Excerpt.Scrubbed(value, 16);

        Assert.Equal("mmmmmmmmmm [CRED…(230 characters)", shown);
        Assert.DoesNotContain("4111", Excerpt.Scrubbed(new string('m', 60) + "4111111111111111", 64));
        Assert.Equal("mmmm…(6 characters)", Excerpt.Scrubbed("mmmmmm", 4));
    }
}
