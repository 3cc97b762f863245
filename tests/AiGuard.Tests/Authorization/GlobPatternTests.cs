using AiGuard.Authorization;

namespace AiGuard.Tests.Authorization;

public class GlobPatternTests
{
    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("demo-*", "demo-chat", true)]
    [InlineData("demo-*", "demo-", true)]
    [InlineData("demo-*", "prod-chat", false)]
    [InlineData("demo-chat", "demo-chat", true)]
    [InlineData("demo-chat", "demo-chat-large", false)]
    [InlineData("*-large", "demo-chat-large", true)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("Demo-*", "demo-chat", false)]
    public void Patterns_match_case_sensitively_with_star_wildcards(string pattern, string value, bool expected)
    {
        Assert.Equal(expected, GlobPattern.Matches(pattern, value));
    }

    [Fact]
    public void An_empty_allow_list_allows_nothing()
    {
        Assert.False(GlobPattern.MatchesAny([], "demo-chat"));
    }
}
