using System.Text;
using AiGuard.Inspection.Sensitive;

namespace AiGuard.Tests.Inspection;

public class StreamHoldbackTests
{
    private static readonly PiiDetector Detector = new();

    /// <summary>Streams <paramref name="text"/> in pieces of <paramref name="size"/> characters; returns what the client would get, redacted, and the longest wait.</summary>
    private static (string Sent, int MaxHeld) Stream(string text, int size, Func<string, List<PiiMatch>>? find = null) =>
        Stream(text, () => size, find);

    /// <summary>Streams <paramref name="text"/> in pieces whose sizes <paramref name="nextSize"/> draws.</summary>
    private static (string Sent, int MaxHeld) Stream(string text, Func<int> nextSize, Func<string, List<PiiMatch>>? find = null)
    {
        find ??= Detector.Find;
        var holdback = new StreamHoldback();
        var sent = new StringBuilder();
        var maxHeld = 0;
        for (var start = 0; start < text.Length;)
        {
            var size = Math.Min(nextSize(), text.Length - start);
            var piece = text.Substring(start, size);
            start += size;
            var final = start >= text.Length;
            var release = holdback.Push(piece, final, find);
            var redacted = Redact(release);
            holdback.Sent(redacted);
            sent.Append(redacted);
            maxHeld = Math.Max(maxHeld, holdback.PendingLength);
        }

        return (sent.ToString(), maxHeld);
    }

    private static string Redact(StreamHoldback.Release release)
    {
        var result = new StringBuilder();
        var position = 0;
        foreach (var match in release.Matches)
        {
            result.Append(release.Text, position, match.Start - position).Append(SensitiveDataPolicy.Placeholder(match.Type));
            position = match.End;
        }

        return result.Append(release.Text, position, release.Text.Length - position).ToString();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Entities_split_across_pieces_of_any_size_are_redacted_whole(int size)
    {
        const string Text = "Pay with 4111 1111 1111 1111 or mail jane.doe@example.com, IBAN GB82 WEST 1234 5698 7654 32, from 10.0.0.12 today.";

        var (sent, _) = Stream(Text, size);

        Assert.Equal("Pay with [CREDIT_CARD] or mail [EMAIL], IBAN [IBAN], from [IP_ADDRESS] today.", sent);
    }

    [Fact]
    public void Every_cut_point_of_a_phone_number_is_caught()
    {
        const string Text = "Call me on +44 20 7946 0958 tomorrow";
        for (var cut = 1; cut < Text.Length; cut++)
        {
            var holdback = new StreamHoldback();
            var first = holdback.Push(Text[..cut], final: false, Detector.Find);
            holdback.Sent(Redact(first));
            var second = holdback.Push(Text[cut..], final: true, Detector.Find);

            Assert.False(Redact(first).Contains("7946", StringComparison.Ordinal), $"cut {cut}: sent '{Redact(first)}'");
            Assert.Equal("Call me on [PHONE] tomorrow", Redact(first) + Redact(second));
        }
    }

    [Fact]
    public void Plain_prose_is_held_back_by_at_most_the_word_being_written()
    {
        const string Text = "The quick brown fox jumps over the lazy dog, and then it rests for a while in the warm sun.";

        var (sent, maxHeld) = Stream(Text, 3);

        Assert.Equal(Text, sent);
        Assert.True(maxHeld <= "while ".Length, $"held {maxHeld}");
    }

    [Theory]
    [InlineData("Hello wor", 6)]
    [InlineData("Hello ", 6)]
    [InlineData("card 4111 1111 ", 5)]
    [InlineData("card 4111 1111 11", 5)]
    [InlineData("call (555) 123-", 5)]
    [InlineData("iban GB82 WEST 12", 5)]
    [InlineData("I have 3 apples", 9)]
    [InlineData("line one\n4111", 9)]
    public void The_hold_starts_where_an_entity_could_still_be_forming(string text, int expected)
    {
        Assert.Equal(expected, StreamHoldback.HoldFrom(text));
    }

    [Fact]
    public void A_long_unbroken_run_is_held_back_by_at_most_its_last_run_length()
    {
        var text = new string('a', 5000);

        Assert.Equal(5000 - StreamHoldback.MaxRun, StreamHoldback.HoldFrom(text));
    }

    [Fact]
    public void Context_words_before_the_release_point_still_count_for_a_phone_number()
    {
        var holdback = new StreamHoldback();
        var first = holdback.Push("You can reach our office by phone at ", final: false, Detector.Find);
        holdback.Sent(Redact(first));
        var second = holdback.Push("212 555 0143 during the day.", final: true, Detector.Find);

        Assert.Equal("You can reach our office by phone at [PHONE] during the day.", Redact(first) + Redact(second));
    }

    [Fact]
    public void A_private_key_block_streamed_line_by_line_is_held_until_its_end_line_and_redacted_whole()
    {
        var policy = new SensitiveDataPolicy(new SensitiveDataOptions { Actions = { ["Secret"] = SensitiveAction.Redact } });
        var random = new Random(7);
        var body = string.Join('\n', Enumerable.Range(0, 6).Select(_ => Convert.ToBase64String(Enumerable.Range(0, 48).Select(_ => (byte)random.Next(256)).ToArray())));
        var text = $"Here it is:\n-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\nKeep it safe.";

        foreach (var size in new[] { 3, 17, 64 })
        {
            var (sent, _) = Stream(text, size, policy.Find);

            Assert.DoesNotContain(body[..20], sent, StringComparison.Ordinal);
            Assert.Contains("[SECRET]", sent, StringComparison.Ordinal);
            Assert.EndsWith("Keep it safe.", sent, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Pay ４１１１ １１１１ １１１１ １１１１ now.")]
    [InlineData("Pay 4111​1111​1111​1111 now.")]
    public void A_card_in_fullwidth_digits_or_split_by_invisible_characters_is_held_and_redacted_in_any_pieces(string text)
    {
        var policy = new SensitiveDataPolicy(new SensitiveDataOptions { Actions = { ["CreditCard"] = SensitiveAction.Redact } });
        foreach (var size in new[] { 1, 2, 3, 5 })
        {
            Assert.Equal("Pay [CREDIT_CARD] now.", Stream(text, size, policy.Find).Sent);
        }
    }

    [Fact]
    public void A_base64_encoded_card_streamed_in_pieces_is_held_and_redacted_whole()
    {
        var policy = new SensitiveDataPolicy(new SensitiveDataOptions { Actions = { ["CreditCard"] = SensitiveAction.Redact } });
        var encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("card 4111 1111 1111 1111 exp 12/27"));
        var text = $"Here: {encoded} done.";
        foreach (var size in new[] { 1, 3, 7, 64 })
        {
            Assert.Equal("Here: [CREDIT_CARD] done.", Stream(text, size, policy.Find).Sent);
        }
    }

    [Fact]
    public void Streamed_in_random_pieces_an_answer_is_redacted_exactly_as_the_whole_answer_is()
    {
        // A differential check: 400 seeded answers mixing prose with every entity type the guard
        // redacts (cards with and without separators, IBANs, e-mails, phone numbers after a phone
        // word, IPv4 and IPv6 addresses, SSNs, provider keys), each cut into pieces of random sizes
        // at random places. What the client receives must equal the whole answer redacted at once.
        var options = new SensitiveDataOptions();
        foreach (var type in new[] { "CreditCard", "Iban", "Email", "Phone", "IpAddress", "UsSsn", "Secret" })
        {
            options.Actions[type] = SensitiveAction.Redact;
        }

        var policy = new SensitiveDataPolicy(options);
        var random = new Random(20261127);
        string Pick(string[] values) => values[random.Next(values.Length)];
        string Alnum(int n) => string.Concat(Enumerable.Range(0, n).Select(_ => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[random.Next(62)]));
        var entities = new Func<string>[]
        {
            () => Pick(["4111 1111 1111 1111", "5500-0000-0000-0004", "340000000000009", "6011000990139424"]),
            () => Pick(["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "FR14 2004 1010 0505 0001 3M02 606"]),
            () => $"{Pick(["jane.doe", "ops+alerts", "k.o'brien", "x"])}@{Pick(["example.com", "mail.example.co.uk", "corp.io"])}",
            () => $"{Pick(["call", "phone:", "mobile", "reach me on"])} {Pick(["+1 212 555 0143", "(212) 555-0143", "+44 20 7946 0958", "020 7946 0958"])}",
            () => $"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}",
            () => Pick(["2001:db8::8a2e:370:7334", "fe80::1ff:fe23:4567:890a"]),
            () => $"{random.Next(100, 600):000}-{random.Next(10, 99)}-{random.Next(1000, 9999)}",
            () => "AKIA" + string.Concat(Enumerable.Range(0, 16).Select(_ => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[random.Next(32)])),
            () => "ghp_" + Alnum(36),
            () => "sk-proj-" + Alnum(48),
        };
        var words = "the a your order was sent to at on and we will check it today please note account number for reference is".Split(' ');
        var separators = new[] { " ", ", ", ". ", "\n", " (", ") ", ": ", " - " };

        for (var answer = 0; answer < 400; answer++)
        {
            var text = new StringBuilder();
            var parts = random.Next(3, 12);
            for (var p = 0; p < parts; p++)
            {
                text.Append(random.NextDouble() < 0.35 ? entities[random.Next(entities.Length)]() : string.Join(' ', Enumerable.Range(0, random.Next(1, 6)).Select(_ => Pick(words))));
                text.Append(Pick(separators));
            }

            var whole = text.ToString();
            var expected = Redact(new StreamHoldback().Push(whole, final: true, policy.Find));

            var (sent, _) = Stream(whole, () => random.Next(1, 13), policy.Find);

            Assert.True(expected == sent, $"answer {answer}:\n  text     {whole}\n  whole    {expected}\n  streamed {sent}");
        }
    }
}
