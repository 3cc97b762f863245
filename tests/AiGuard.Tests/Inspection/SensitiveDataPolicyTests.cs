using AiGuard.Inspection.Sensitive;

namespace AiGuard.Tests.Inspection;

public class SensitiveDataPolicyTests
{
    private static readonly SensitiveDataPolicy Policy = new(new SensitiveDataOptions
    {
        Actions = { ["CreditCard"] = SensitiveAction.Redact, ["Email"] = SensitiveAction.Redact, ["Secret"] = SensitiveAction.Redact },
    });

    [Theory]
    [InlineData("card ４１１１ １１１１ １１１１ １１１１ ok", "４１１１ １１１１ １１１１ １１１１")]
    [InlineData("card 4111\u200b1111\u200b1111\u200b1111 ok", "4111\u200b1111\u200b1111\u200b1111")]
    [InlineData("card 4\u200d1\u200d1\u200d1 1111 1111 1111 ok", "4\u200d1\u200d1\u200d1 1111 1111 1111")]
    [InlineData("mail ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ today", "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ")]
    public void Entities_hidden_by_fullwidth_forms_or_invisible_characters_are_found_over_their_original_span(string text, string entity)
    {
        var match = Assert.Single(Policy.Find(text));

        Assert.Equal(entity, text.Substring(match.Start, match.Length));
    }

    [Fact]
    public void A_secret_wins_over_personal_data_inside_it_and_the_kind_is_named()
    {
        const string Text = "connect to postgres://admin:4529381760451839@db.internal:5432/app now";
        Assert.Contains(new PiiDetector().Find(Text), m => m.Type == PiiType.CreditCard);

        var matches = Policy.Find(Text);

        var match = Assert.Single(matches);
        Assert.Equal(PiiType.Secret, match.Type);
        Assert.NotNull(match.Kind);
        Assert.StartsWith("Secret (", match.Describe(), StringComparison.Ordinal);
    }
}
