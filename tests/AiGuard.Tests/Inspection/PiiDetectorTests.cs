using AiGuard.Inspection.Sensitive;

namespace AiGuard.Tests.Inspection;

public sealed class PiiDetectorTests
{
    private static readonly PiiDetector Detector = new();

    private static (PiiType Type, string Value)[] Find(string text) =>
        [.. Detector.Find(text).Select(m => (m.Type, text.Substring(m.Start, m.Length)))];

    [Theory]
    [InlineData("card 4111 1111 1111 1111 on file", "4111 1111 1111 1111")]
    [InlineData("pay with 5500-0000-0000-0004.", "5500-0000-0000-0004")]
    [InlineData("amex 378282246310005", "378282246310005")]
    [InlineData("old maestro 630427373398 here", "630427373398")]
    [InlineData("card_4111111111111111", "4111111111111111")]
    [InlineData("x4111111111111111y", "4111111111111111")]
    [InlineData("cc=4111-1111-1111-1111_exp", "4111-1111-1111-1111")]
    public void Card_numbers_that_pass_luhn_are_found(string text, string card)
    {
        Assert.Equal([(PiiType.CreditCard, card)], Find(text));
    }

    [Theory]
    [InlineData("order 4111 1111 1111 1112 shipped")]   // Luhn fails
    [InlineData("ref 4111-1111 1111-1111")]             // mixed separators
    [InlineData("id 0000000000000000")]                 // no card network starts with 0
    public void Digit_runs_that_are_not_card_numbers_are_not(string text)
    {
        Assert.DoesNotContain(Find(text), f => f.Type == PiiType.CreditCard);
    }

    [Theory]
    [InlineData("IBAN GB82 WEST 1234 5698 7654 32.", "GB82 WEST 1234 5698 7654 32")]
    [InlineData("to de89370400440532013000 today", "de89370400440532013000")]
    [InlineData("from GB33BUKB20201555555555 to our account", "GB33BUKB20201555555555")]
    public void Ibans_with_a_valid_check_are_found_spaced_or_not_in_any_case(string text, string iban)
    {
        Assert.Equal([(PiiType.Iban, iban)], Find(text));
    }

    [Fact]
    public void An_iban_with_a_wrong_check_digit_is_not()
    {
        Assert.DoesNotContain(Find("IBAN GB83 WEST 1234 5698 7654 32"), f => f.Type == PiiType.Iban);
    }

    [Theory]
    [InlineData("ssn 123-45-6789", true)]
    [InlineData("ssn 123 45 6789", true)]
    [InlineData("ssn 000-45-6789", false)]
    [InlineData("ssn 666-45-6789", false)]
    [InlineData("ssn 912-45-6789", false)]
    [InlineData("ssn 123-00-6789", false)]
    [InlineData("ssn 123-45-0000", false)]
    [InlineData("ssn 123-45 6789", false)]
    [InlineData("ssn_123-45-6789", true)]
    [InlineData("SSN123-45-6789x", true)]
    [InlineData("ssn 9123-45-6789", false)]
    public void Ssns_outside_the_never_issued_ranges_are_found(string text, bool found)
    {
        Assert.Equal(found, Find(text).Any(f => f.Type == PiiType.UsSsn));
    }

    [Theory]
    [InlineData("from 192.168.1.20 at noon", "192.168.1.20")]
    [InlineData("host 2001:db8::8a2e:370:7334 is up", "2001:db8::8a2e:370:7334")]
    [InlineData("full fe80:0:0:0:200:f8ff:fe21:67cf", "fe80:0:0:0:200:f8ff:fe21:67cf")]
    public void Ip_addresses_are_found(string text, string address)
    {
        Assert.Equal([(PiiType.IpAddress, address)], Find(text));
    }

    [Theory]
    [InlineData("version 1.2.3.4000 shipped")]
    [InlineData("octet 300.1.1.1 is not one")]
    [InlineData("we met at 12:30:45 sharp")]
    [InlineData("padded 010.1.1.1")]
    public void Things_shaped_like_addresses_are_not(string text)
    {
        Assert.DoesNotContain(Find(text), f => f.Type == PiiType.IpAddress);
    }

    [Fact]
    public void Emails_are_found()
    {
        Assert.Equal([(PiiType.Email, "jane.doe+ml@example.co.uk")], Find("write to jane.doe+ml@example.co.uk, please"));
    }

    [Theory]
    [InlineData("ring +44 20 7946 0958 tomorrow", "+44 20 7946 0958")]
    [InlineData("US office (415) 555-2671", "(415) 555-2671")]
    [InlineData("Phone: 467 3395", "467 3395")]
    [InlineData("Fax: 345-899-3560x4587", "345-899-3560x4587")]
    public void Phone_numbers_valid_in_a_region_or_named_as_phones_are_found(string text, string phone)
    {
        Assert.Equal([(PiiType.Phone, phone)], Find(text));
    }

    [Theory]
    [InlineData("Телефон: 8 (912) 345-67-89", "8 (912) 345-67-89")]
    [InlineData("моб. 912 345 67 89, звоните после обеда", "912 345 67 89")]
    [InlineData("Celular: 55 1234 5678", "55 1234 5678")]
    [InlineData("mi móvil es 612 34 56 78", "612 34 56 78")]
    [InlineData("Mon portable : 06 12 34 56 78", "06 12 34 56 78")]
    [InlineData("Handynummer 0176 123 45 67", "0176 123 45 67")]
    [InlineData("Тел: 8 (912) 345-67-89", "8 (912) 345-67-89")]
    [InlineData("फ़ोन: 4673395", "4673395")]
    [InlineData("请拨打手机：138 1234 5678", "138 1234 5678")]
    [InlineData("電話番号は 03-1234-5678 です", "03-1234-5678")]
    [InlineData("携帯：090-1234-5678", "090-1234-5678")]
    [InlineData("휴대폰 010-1234-5678 로 연락주세요", "010-1234-5678")]
    [InlineData("جوال: 050 123 4567", "050 123 4567")]
    [InlineData("טלפון: 052-123-4567", "052-123-4567")]
    [InlineData("τηλέφωνο 210 123 4567", "210 123 4567")]
    public void Phone_numbers_named_as_phones_in_other_languages_are_found(string text, string phone)
    {
        Assert.Equal([(PiiType.Phone, phone)], Find(text));
    }

    [Theory]
    [InlineData("订单号 138 1234 5678 已发货")]
    [InlineData("Keep this handy: order 4673395 shipped")]
    [InlineData("portable charger model 4673395")]
    [InlineData("Immobilien-Objekt 4673395")]
    [InlineData("automóvil modelo 4673395")]
    [InlineData("τηλεόραση μοντέλο 4673395")]
    [InlineData("κινητήρας σειρά 4673395")]
    [InlineData("โทรทัศน์ รุ่น 4673395")]
    [InlineData("מחשב נייד דגם 4673395")]
    [InlineData("Заказ № 8 (912) 345-67-89 отправлен")]
    [InlineData("κωδικός παραγγελίας 210 123 4567")]
    public void The_same_numbers_without_a_phone_word_are_not_phones(string text)
    {
        Assert.DoesNotContain(Find(text), f => f.Type == PiiType.Phone);
    }

    [Theory]
    [InlineData("order 4673395 shipped")]
    [InlineData("call me on 2024-05-01")]
    [InlineData("the year 1999 had 365 days")]
    public void Numbers_not_said_to_be_phones_and_not_valid_anywhere_are_not(string text)
    {
        Assert.DoesNotContain(Find(text), f => f.Type == PiiType.Phone);
    }

    [Fact]
    public void Overlapping_candidates_go_to_the_more_specific_type_and_matches_come_in_order()
    {
        var text = "card 4111111111111111, mail a@b.io, ssn 123-45-6789, ip 10.0.0.1";
        Assert.Equal(
            [(PiiType.CreditCard, "4111111111111111"), (PiiType.Email, "a@b.io"), (PiiType.UsSsn, "123-45-6789"), (PiiType.IpAddress, "10.0.0.1")],
            Find(text));
    }

    [Fact]
    public void Hostile_text_gives_matches_inside_it_and_no_exception()
    {
        var random = new Random(17);
        const string Alphabet = "0123456789 -.()+x@:abcdefABCDEF\n\u200b\u0661\uff11";
        for (var i = 0; i < 200; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 5000)).Select(_ => Alphabet[random.Next(Alphabet.Length)])]);
            foreach (var match in Detector.Find(text))
            {
                Assert.InRange(match.Start, 0, text.Length - 1);
                Assert.InRange(match.End, match.Start + 1, text.Length);
            }
        }

        Assert.Empty(Detector.Find(new string('1', 100_000)));
    }

    [Theory]
    [InlineData("pay 4111 1111 1111 1111 12/27", "4111 1111 1111 1111")]
    [InlineData("4111111111111111 123 is the cvv", "4111111111111111")]
    [InlineData("ref 1 4111 1111 1111 1111", "4111 1111 1111 1111")]
    public void A_card_next_to_other_digits_is_found_on_its_own_groups(string text, string card)
    {
        Assert.Contains((PiiType.CreditCard, card), Find(text));
    }

    [Theory]
    [InlineData("4111111111111111@x.io", PiiType.CreditCard)]
    [InlineData("123-45-6789@x.io", PiiType.UsSsn)]
    public void A_validated_entity_inside_an_email_shape_keeps_its_type(string text, PiiType type)
    {
        Assert.Equal(type, Find(text)[0].Type);
    }

    [Fact]
    public void Digits_of_other_scripts_do_not_throw_and_are_not_taken_for_ascii_ones()
    {
        Assert.Empty(Find("\u0661\u0662\u0663-\u0664\u0665-\u0666\u0667\u0668\u0669 and 123456789 and \uff14\uff11\uff11\uff11"));
    }

    [Fact]
    public void A_text_with_more_candidates_than_the_detector_validates_is_refused_not_half_inspected()
    {
        var dense = string.Concat(Enumerable.Repeat("10.0.0.1 ", PiiDetector.MaxCandidates + 1));
        var error = Assert.Throws<TextTooDenseException>(() => Detector.Find(dense));
        Assert.Equal(PiiType.IpAddress, error.Type);
        Assert.DoesNotContain("10.0.0.1", error.Message, StringComparison.Ordinal);
    }
}
