using System.Text;
using AiGuard.Pipeline;
using AiGuard.Protocols.Json;

namespace AiGuard.Tests.Protocols;

public class JsonLimitsTests
{
    [Fact]
    public void Body_within_limits_passes()
    {
        Assert.Null(JsonLimits.Check("""{"a":[1,2,{"b":null}]}"""u8, maxDepth: 3, maxElements: 10));
    }

    [Fact]
    public void Nesting_at_the_limit_passes_and_one_deeper_is_refused()
    {
        var atLimit = Encoding.UTF8.GetBytes(new string('[', 5) + new string(']', 5));
        var tooDeep = Encoding.UTF8.GetBytes(new string('[', 6) + new string(']', 6));

        Assert.Null(JsonLimits.Check(atLimit, maxDepth: 5, maxElements: 100));
        var refusal = JsonLimits.Check(tooDeep, maxDepth: 5, maxElements: 100);
        Assert.Equal(ProblemCodes.JsonTooDeep, refusal!.Code);
        Assert.Equal(400, refusal.Status);
    }

    [Fact]
    public void More_elements_than_the_limit_are_refused()
    {
        var json = Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Repeat("1", 11)) + "]");

        Assert.Null(JsonLimits.Check(json, maxDepth: 5, maxElements: 12));
        Assert.Equal(ProblemCodes.JsonTooManyElements, JsonLimits.Check(json, maxDepth: 5, maxElements: 11)!.Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"a\":}")]
    [InlineData("{\"a\":1}}")]
    [InlineData("{'a':1}")]
    [InlineData("{\"a\":1 /* c */}")]
    [InlineData("NaN")]
    public void Malformed_json_is_refused_as_malformed(string json)
    {
        Assert.Equal(ProblemCodes.MalformedJson, JsonLimits.Check(Encoding.UTF8.GetBytes(json), 32, 1000)!.Code);
    }

    [Fact]
    public void Seeded_random_garbage_never_throws()
    {
        var random = new Random(1234);
        var alphabet = "{}[]\":,0123456789.-eE truefalsnul\\\u00e9"u8.ToArray();
        for (var i = 0; i < 5000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            for (var j = 0; j < bytes.Length; j++)
            {
                bytes[j] = random.Next(10) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
            }

            var result = JsonLimits.Check(bytes, 8, 100);
            Assert.True(result is null || result.Outcome == GuardOutcome.Refuse);
        }
    }
}
