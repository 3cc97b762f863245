using AiGuard.Inspection.Text;

namespace AiGuard.Tests.Inspection;

public sealed class JsonArgumentsTextTests
{
    [Theory]
    [InlineData("""{"card":"\u0034111 1111"}""", """{"card":"4111 1111"}""")]
    [InlineData("""{"to":"bob\u0040example.com","url":"https:\/\/x.example"}""", """{"to":"bob@example.com","url":"https://x.example"}""")]
    [InlineData("""{"e":"\ud83d\ude00"}""", "{\"e\":\"\U0001F600\"}")]
    [InlineData("""{"n":1e400,"m":0.10,"a":"x","a":"\u0079"}""", """{"n":1e400,"m":0.10,"a":"x","a":"y"}""")]
    public void Escapes_of_characters_json_lets_stand_are_resolved_and_nothing_else_changes(string arguments, string expected)
    {
        Assert.Equal(expected, JsonArgumentsText.Decoded(arguments));
    }

    [Theory]
    [InlineData("""{"card":"4111 1111"}""")]
    [InlineData("""{"q":"a\\u0034"}""")]
    [InlineData("""{"q":"\"\u0022\u005c\u000a\n\ud800"}""")]
    [InlineData("""not json \u00""")]
    [InlineData("\\")]
    [InlineData("")]
    public void Escapes_json_requires_lone_surrogates_and_escaped_backslashes_stay(string arguments)
    {
        Assert.Same(arguments, JsonArgumentsText.Decoded(arguments));
    }

    [Fact]
    public void A_decoded_document_means_what_it_meant()
    {
        const string arguments = """{"card":"\u0034111","nested":{"list":[1,"\u0041",{"k":"\"q\""}]}}""";

        var decoded = JsonArgumentsText.Decoded(arguments);

        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(arguments), System.Text.Json.Nodes.JsonNode.Parse(decoded)));
        Assert.Equal("""{"card":"4111","nested":{"list":[1,"A",{"k":"\"q\""}]}}""", decoded);
    }

    [Theory]
    [InlineData("""{"n":"\u00094111"}""", """{"n":"      4111"}""")]
    [InlineData("""{"n":"\"4111\\"}""", """{"n":"  4111  "}""")]
    [InlineData("""{"n":"\ud800x"}""", """{"n":"      x"}""")]
    [InlineData("plain", "plain")]
    public void Escapes_that_stay_are_read_as_spaces_of_the_same_length(string decoded, string scanned)
    {
        Assert.Equal(scanned, JsonArgumentsText.Scanned(decoded));
        Assert.Equal(decoded.Length, JsonArgumentsText.Scanned(decoded).Length);
    }
}
