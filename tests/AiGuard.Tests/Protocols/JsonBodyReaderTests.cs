using System.Text;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using AiGuard.Protocols.Json;
using AiGuard.Protocols.OpenAi;
using AiGuard.Protocols.OpenInference;
using AiGuard.Protocols.TfServing;
using static AiGuard.Tests.Protocols.AdapterHarness;

namespace AiGuard.Tests.Protocols;

/// <summary>The one-pass reader under every adapter: limits, syntax, repeated names and broken text.</summary>
public class JsonBodyReaderTests
{
    private const string Chat = "/v1/chat/completions";
    private readonly OpenAiAdapter _openAi = new();

    private static string ChatWith(string extra) => "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]," + extra + "}";

    [Fact]
    public void Limits_count_the_fields_the_adapter_skips_too()
    {
        // Root object at depth 0; "x" holds arrays at depths 1..4.
        var atLimit = ChatWith("\"x\":[[[[1]]]]");
        var tooDeep = ChatWith("\"x\":[[[[[1]]]]]");

        Assert.Equal("m", Parse(_openAi, "POST", Chat, atLimit, new JsonReadLimits(5, 100)).Model);
        var violation = Violation(_openAi, "POST", Chat, tooDeep, new JsonReadLimits(5, 100));
        Assert.Equal(ProblemCodes.JsonTooDeep, violation.Code);
        Assert.Contains("limit of 5 levels", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_elements_than_the_limit_are_refused_wherever_they_are()
    {
        // object, "m", messages array, message object, "user", "hi", x array + 11 numbers = 18 values.
        var json = ChatWith("\"x\":[" + string.Join(",", Enumerable.Repeat("1", 11)) + "]");

        Assert.Equal("m", Parse(_openAi, "POST", Chat, json, new JsonReadLimits(8, 18)).Model);
        Assert.Equal(ProblemCodes.JsonTooManyElements, Violation(_openAi, "POST", Chat, json, new JsonReadLimits(8, 17)).Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"model\":}")]
    [InlineData("{\"model\":\"m\"}}")]
    [InlineData("{'model':'m'}")]
    [InlineData("{\"model\":\"m\" /* c */}")]
    [InlineData("NaN")]
    [InlineData("{\"model\":\"m\",\"messages\":[")]
    public void Malformed_json_is_refused_as_malformed(string json)
    {
        Assert.Equal(ProblemCodes.MalformedJson, Violation(_openAi, "POST", Chat, json).Code);
    }

    [Theory]
    [InlineData("{\"model\":\"a\",\"model\":\"b\",\"messages\":[]}", "")]
    [InlineData("{\"model\":\"a\",\"mo\\u0064el\":\"b\",\"messages\":[]}", "")]
    [InlineData("{\"model\":\"a\",\"x\":1,\"x\":2,\"messages\":[]}", "")]
    [InlineData("{\"model\":\"a\",\"messages\":[{\"role\":\"user\",\"role\":\"system\",\"content\":\"hi\"}]}", "messages[0]")]
    public void A_repeated_property_name_is_refused_even_when_escaped(string json, string field)
    {
        var violation = Violation(_openAi, "POST", Chat, json);

        Assert.Equal(ProblemCodes.MalformedJson, violation.Code);
        Assert.Equal(field, violation.Field);
    }

    [Fact]
    public void More_than_sixteen_distinct_names_are_fine_and_a_late_repeat_is_still_caught()
    {
        var many = string.Join(",", Enumerable.Range(0, 40).Select(i => $"\"f{i}\":{i}"));

        Assert.Equal("m", Parse(_openAi, "POST", Chat, ChatWith(many)).Model);
        Assert.Equal(ProblemCodes.MalformedJson, Violation(_openAi, "POST", Chat, ChatWith(many + ",\"f33\":0")).Code);
    }

    [Fact]
    public void Invalid_utf8_in_a_string_is_a_400_naming_the_field()
    {
        var bytes = Encoding.UTF8.GetBytes(ChatWith("\"x\":1").Replace("\"hi\"", "\"h\u0001\"", StringComparison.Ordinal));
        bytes[Array.IndexOf(bytes, (byte)1)] = 0xFF;

        var operation = _openAi.Match("POST", Chat)!;
        var violation = Assert.Throws<ProtocolViolationException>(() => _openAi.ParseRequest(operation, bytes, AdapterHarness.Limits));

        Assert.Equal(ProblemCodes.InvalidBody, violation.Code);
        Assert.Equal("messages[0].content", violation.Field);
        Assert.Contains("not valid Unicode text", violation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\\ud800")]
    [InlineData("a\\udc00b")]
    public void A_lone_surrogate_escape_is_a_400_naming_the_field(string escaped)
    {
        var violation = Violation(_openAi, "POST", Chat, "{\"model\":\"" + escaped + "\",\"messages\":[]}");

        Assert.Equal(ProblemCodes.InvalidBody, violation.Code);
        Assert.Equal("model", violation.Field);
    }

    /// <summary>
    /// Seeded random bodies against every adapter: each either parses or is refused with one of the
    /// documented codes. Any other exception would be a 500 in the gateway.
    /// </summary>
    [Theory]
    [InlineData(ProtocolNames.OpenAi, "POST", "/v1/chat/completions", 1)]
    [InlineData(ProtocolNames.OpenInferenceV2, "POST", "/v2/models/m/infer", 2)]
    [InlineData(ProtocolNames.TfServing, "POST", "/v1/models/m:predict", 3)]
    public void Seeded_random_bodies_parse_or_are_refused_with_a_known_code(string protocol, string method, string path, int seed)
    {
        IProtocolAdapter adapter = protocol switch
        {
            ProtocolNames.OpenAi => _openAi,
            ProtocolNames.OpenInferenceV2 => new OpenInferenceAdapter(),
            _ => new TfServingAdapter(),
        };
        var operation = adapter.Match(method, path)!;
        var known = new HashSet<string>
        {
            ProblemCodes.MalformedJson, ProblemCodes.InvalidBody, ProblemCodes.JsonTooDeep, ProblemCodes.JsonTooManyElements, ProblemCodes.TensorShapeMismatch,
        };
        var random = new Random(seed);
        var fragments = new[]
        {
            "{", "}", "[", "]", ",", ":", "\"model\"", "\"messages\"", "\"role\"", "\"user\"", "\"content\"", "\"inputs\"", "\"name\"", "\"shape\"",
            "\"datatype\"", "\"FP32\"", "\"BYTES\"", "\"data\"", "\"instances\"", "\"b64\"", "1", "-0.5", "1e999", "true", "null", "\"\\ud800\"", "\"x\"", " ",
        };
        var parsed = 0;
        for (var i = 0; i < 4000; i++)
        {
            var builder = new StringBuilder();
            var length = random.Next(1, 40);
            for (var j = 0; j < length; j++)
            {
                builder.Append(fragments[random.Next(fragments.Length)]);
            }

            var bytes = Encoding.UTF8.GetBytes(builder.ToString());
            if (random.Next(8) == 0 && bytes.Length > 0)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            try
            {
                adapter.ParseRequest(operation, bytes, new JsonReadLimits(8, 200));
                parsed++;
            }
            catch (ProtocolViolationException ex)
            {
                Assert.Contains(ex.Code, known);
            }
        }

        Assert.InRange(parsed, 0, 4000);
    }
}
