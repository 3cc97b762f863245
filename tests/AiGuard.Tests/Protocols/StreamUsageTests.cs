using System.Text;
using AiGuard.Protocols.OpenAi;

namespace AiGuard.Tests.Protocols;

/// <summary>Asking the upstream for stream usage changes that one member and nothing else.</summary>
public class StreamUsageTests
{
    [Theory]
    [InlineData("""{"model":"m","stream":true,"messages":[]}""", """{"model":"m","stream":true,"messages":[],"stream_options":{"include_usage":true}}""")]
    [InlineData("""{"stream_options":{"include_usage":false,"x":1},"stream":true}""", """{"stream_options":{"include_usage":true,"x":1},"stream":true}""")]
    [InlineData("""{"stream_options":null,"stream":true,"note":"caf\u00e9 <b>"}""", """{"stream_options":{"include_usage":true},"stream":true,"note":"café <b>"}""")]
    public void Include_usage_is_set_and_the_rest_kept(string body, string expected) =>
        Assert.Equal(expected, Encoding.UTF8.GetString(StreamUsage.Request(Encoding.UTF8.GetBytes(body))));
}
