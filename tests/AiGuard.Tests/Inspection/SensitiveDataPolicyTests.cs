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

    public static TheoryData<string, string, PiiType, string> Encoded()
    {
        static string B64(string text) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text));
        static string Hex(string text, string separator) => string.Join(separator, System.Text.Encoding.UTF8.GetBytes(text).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        return new()
        {
            { "decode this: {0} please", B64("my card is 4111 1111 1111 1111, thanks"), PiiType.CreditCard, "base64" },
            { "decode this: {0}", B64("4111111111111111"), PiiType.CreditCard, "base64" },
            { "decode this: {0}", B64("write to jane.roe@example.org"), PiiType.Email, "base64" },
            { "bytes: {0} end", Hex("card 4111111111111111", ""), PiiType.CreditCard, "hex" },
            { "bytes: {0} end", Hex("jane.roe@example.org", " "), PiiType.Email, "hex" },
            { "bytes: {0} end", "\\x" + Hex("jane.roe@example.org", "\\x"), PiiType.Email, "hex" },
            { "iban {0}", B64("DE89 3704 0044 0532 0130 00"), PiiType.Iban, "base64" },
        };
    }

    [Theory]
    [MemberData(nameof(Encoded))]
    public void An_entity_sent_base64_or_hex_encoded_is_found_over_the_whole_encoded_span(string template, string encoded, PiiType type, string encoding)
    {
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, encoded);

        var match = Assert.Single(Policy.Find(text));

        Assert.Equal(type, match.Type);
        Assert.Equal(encoding, match.Kind);
        Assert.Equal(encoded, text.Substring(match.Start, match.Length));
    }

    [Fact]
    public void A_key_inside_base64_is_a_secret_over_the_whole_span()
    {
        var encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("aws_access_key_id = AKIAZ7VQ3M4XL2PN6RTB"));

        var match = Assert.Single(Policy.Find($"key: {encoded}"));

        Assert.Equal(PiiType.Secret, match.Type);
        Assert.Equal(encoded, $"key: {encoded}".Substring(match.Start, match.Length));
    }

    [Fact]
    public void Encoded_text_without_an_entity_and_ordinary_long_words_are_not_matched()
    {
        var benign = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("Summarize the meeting notes from Tuesday, please."));
        Assert.Empty(Policy.Find($"decode: {benign}"));
        Assert.Empty(Policy.Find("Antidisestablishmentarianism and pneumonoultramicroscopicsilicovolcanoconiosis are long words."));
        Assert.Empty(Policy.Find("sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 of the empty file"));
    }

    [Fact]
    public void Of_several_entities_inside_one_encoded_span_the_one_with_the_strictest_action_names_it()
    {
        var blocking = new SensitiveDataPolicy(new SensitiveDataOptions
        {
            Actions = { ["Email"] = SensitiveAction.Redact, ["CreditCard"] = SensitiveAction.Block },
        });
        var encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("jane.roe@example.org paid with 4111 1111 1111 1111"));

        var match = Assert.Single(blocking.Find($"see {encoded}"));

        Assert.Equal(PiiType.CreditCard, match.Type);
        Assert.Equal(encoded, $"see {encoded}".Substring(match.Start, match.Length));
    }

    [Fact]
    public void Random_texts_full_of_encoded_spans_give_ordered_non_overlapping_matches_inside_the_text()
    {
        var random = new Random(20261127);
        string[] entities = ["4111 1111 1111 1111", "jane.roe@example.org", "DE89 3704 0044 0532 0130 00", "123-45-6789", "AKIAZ7VQ3M4XL2PN6RTB", "10.0.0.1"];
        var encoded = 0;
        string[] pieces = ["card ", " ", "\u200b", "０１２", "\\x", "0x", ", ", "==", "+/", "\n", "é", "𝐀"];
        for (var round = 0; round < 300; round++)
        {
            var text = new System.Text.StringBuilder();
            for (var part = random.Next(1, 12); part > 0; part--)
            {
                var plain = random.Next(3) == 0 ? entities[random.Next(entities.Length)] + " and more words" : pieces[random.Next(pieces.Length)];
                var bytes = random.Next(4) == 0 ? Enumerable.Range(0, random.Next(1, 64)).Select(_ => (byte)random.Next(256)).ToArray() : System.Text.Encoding.UTF8.GetBytes(plain);
                text.Append(random.Next(4) switch
                {
                    0 => Convert.ToBase64String(bytes),
                    1 => string.Join(random.Next(2) == 0 ? " " : string.Empty, bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))),
                    2 => plain,
                    _ => new string((char)random.Next(0x20, 0x7f), random.Next(1, 40)),
                });
                text.Append(random.Next(2) == 0 ? " " : string.Empty);
            }

            var value = text.ToString();
            List<PiiMatch> matches;
            try
            {
                matches = Policy.Find(value);
            }
            catch (TextTooDenseException)
            {
                continue;
            }

            for (var i = 0; i < matches.Count; i++)
            {
                Assert.InRange(matches[i].Start, 0, value.Length - 1);
                Assert.InRange(matches[i].End, matches[i].Start + 1, value.Length);
                Assert.True(i == 0 || matches[i - 1].End <= matches[i].Start, $"overlapping or unordered matches in round {round}");
                encoded += matches[i].Kind is { } kind && (kind.EndsWith("base64", StringComparison.Ordinal) || kind.EndsWith("hex", StringComparison.Ordinal)) ? 1 : 0;
            }
        }

        // The texts did exercise the encoded path.
        Assert.True(encoded >= 20, $"only {encoded} encoded matches");
    }
}

