using System.Globalization;
using System.Text;
using AiGuard.Inspection.Sensitive;

namespace AiGuard.Tests.Inspection;

/// <summary>
/// Every key below is made up here, from a seeded generator and the provider's documented format
/// (prefix, length, alphabet): none is a real credential, none comes from a corpus.
/// </summary>
public sealed class SecretDetectorTests
{
    private static readonly SecretDetector Detector = new();

    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Digits = "0123456789";
    private const string Hex = "0123456789abcdef";
    private const string Alnum = Upper + Lower + Digits;
    private const string Base64Url = Alnum + "-_";
    private const string Base64 = Alnum + "+/";

    private static string Fake(string alphabet, int length, int seed = 1)
    {
        var random = new Random(seed);
        return new string([.. Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)])]);
    }

    private static (string Kind, string Value)[] Find(string text) =>
        [.. Detector.Find(text).Select(m => (m.Kind, text.Substring(m.Start, m.Length)))];

    private static string Base64UrlJson(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static TheoryData<string, string> ProviderTokens() => new()
    {
        { SecretKinds.AwsAccessKeyId, "AKIA" + Fake(Upper + "234567", 16) },
        { SecretKinds.AwsAccessKeyId, "ASIA" + Fake(Upper + "234567", 16, 2) },
        { SecretKinds.GithubToken, "ghp_" + Fake(Alnum, 36) },
        { SecretKinds.GithubToken, "gho_" + Fake(Alnum, 36, 3) },
        { SecretKinds.GithubToken, "github_pat_" + Fake(Alnum, 22) + "_" + Fake(Alnum, 59, 4) },
        { SecretKinds.GitlabToken, "glpat-" + Fake(Alnum + "-_", 20) },
        { SecretKinds.SlackToken, "xoxb-" + Fake(Digits, 12) + "-" + Fake(Digits, 13, 5) + "-" + Fake(Alnum, 24, 6) },
        { SecretKinds.SlackWebhook, "https://hooks.slack.com/services/T" + Fake(Upper + Digits, 8) + "/B" + Fake(Upper + Digits, 10, 7) + "/" + Fake(Alnum, 24, 8) },
        { SecretKinds.StripeKey, "sk_live_" + Fake(Alnum, 24) },
        { SecretKinds.StripeKey, "rk_test_" + Fake(Alnum, 99, 9) },
        { SecretKinds.OpenAiApiKey, "sk-proj-" + Fake(Base64Url, 48) },
        { SecretKinds.AnthropicApiKey, "sk-ant-api03-" + Fake(Base64Url, 93) + "AA" },
        { SecretKinds.GoogleApiKey, "AIza" + Fake(Base64Url, 35) },
        { SecretKinds.GoogleOAuthToken, "ya29." + Fake(Base64Url, 120) },
        { SecretKinds.GoogleOAuthClientSecret, "GOCSPX-" + Fake(Base64Url, 28) },
        { SecretKinds.TwilioApiKey, "SK" + Fake(Hex, 32) },
        { SecretKinds.SendGridApiKey, "SG." + Fake(Base64Url, 22) + "." + Fake(Base64Url, 43, 10) },
        { SecretKinds.MailgunApiKey, "key-" + Fake(Hex, 32) },
        { SecretKinds.MailchimpApiKey, Fake(Hex, 32) + "-us14" },
        { SecretKinds.NpmToken, "npm_" + Fake(Alnum, 36) },
        { SecretKinds.PypiToken, "pypi-AgEIcHlwaS5vcmc" + Fake(Base64Url, 120) },
        { SecretKinds.HuggingFaceToken, "hf_" + Fake(Upper + Lower, 34) },
        { SecretKinds.ShopifyToken, "shpat_" + Fake(Hex, 32) },
        { SecretKinds.DigitalOceanToken, "dop_v1_" + Fake(Hex, 64) },
        { SecretKinds.DatabricksToken, "dapi" + Fake(Hex, 32) },
        { SecretKinds.AzureDevOpsToken, Fake(Alnum, 52) + "JQQJ9" + Fake(Alnum, 19, 11) + "AZDO" + Fake(Alnum, 4, 12) },
        { SecretKinds.AzureClientSecret, Fake(Alnum, 3) + "8Q~" + Fake(Alnum + "_~.-", 34, 13) },
        { SecretKinds.Jwt, Base64UrlJson("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + Base64UrlJson("{\"sub\":\"42\",\"name\":\"Test\",\"iat\":1700000000}") + "." + Fake(Base64Url, 43) },
        { "age-secret-key", "AGE-SECRET-KEY-1" + Fake("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58) },
        { "password-hash", "$2b$12$" + Fake(Alnum + "./", 53) },
    };

    [Theory]
    [MemberData(nameof(ProviderTokens))]
    public void Provider_tokens_are_found_by_format_alone_and_the_match_is_the_token(string kind, string token)
    {
        Assert.Equal([(kind, token)], Find($"it failed with {token} so I pasted it here"));
        Assert.Equal([(kind, token)], Find($"curl -s \"https://api.example.net/v1/x?q={token}\""));
    }

    [Theory]
    [InlineData("ghp_", 36)]
    [InlineData("gho_", 36)]
    [InlineData("glpat-", 20)]
    [InlineData("sk-proj-", 48)]
    public void A_token_with_a_distinctive_prefix_glued_to_a_word_is_still_found(string prefix, int length)
    {
        var token = prefix + Fake(Alnum, length, 21);

        var found = Find($"mytoken{token} works");

        Assert.Equal(token, Assert.Single(found).Value);
    }

    [Theory]
    [InlineData("whisk-ant-colony and desk-proj-plan are words")]
    [InlineData("task_ghp_report and thegh_p_x are names")]
    public void A_word_that_only_contains_a_prefix_is_not_a_token(string text)
    {
        Assert.Empty(Find(text));
    }

    [Theory]
    [InlineData("ghp_tooShort123")]                              // 36 characters after the prefix
    [InlineData("AKIA12345")]                                    // 16 after AKIA
    [InlineData("sk-learn is a nickname for scikit-learn")]
    [InlineData("my-task-ghp_x is not a token")]
    public void Prefixes_without_the_documented_length_are_not_tokens(string text)
    {
        Assert.Empty(Find(text));
    }

    [Theory]
    [InlineData("api_key = \"{0}\"", SecretKinds.GenericHighEntropy)]
    [InlineData("{{\"client_secret\": \"{0}\", \"client_id\": \"abc\"}}", SecretKinds.GenericHighEntropy)]
    [InlineData("export SERVICE_TOKEN={0}\n", SecretKinds.GenericHighEntropy)]
    [InlineData("auth:\n  token: {0}\n", SecretKinds.GenericHighEntropy)]
    [InlineData("headers = {{'X-Api-Key': '{0}'}}", SecretKinds.GenericHighEntropy)]
    [InlineData("curl -H \"Authorization: Bearer {0}\" https://api.example.net", SecretKinds.AuthorizationHeader)]
    [InlineData("mytool deploy --api-token {0} --region eu", SecretKinds.GenericHighEntropy)]
    [InlineData("$config['apiKey'] => '{0}';", SecretKinds.GenericHighEntropy)]
    [InlineData("os.getenv(\"PAYMENT_API_KEY\", \"{0}\")", SecretKinds.GenericHighEntropy)]
    [InlineData("aws_secret_access_key = {0}", SecretKinds.AwsSecretAccessKey)]
    public void Random_values_assigned_to_secret_names_are_found_and_only_the_value_is_matched(string template, string kind)
    {
        var value = Fake(Alnum, 40, 21);
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, value);
        Assert.Equal([(kind, value)], Find(text));
    }

    [Theory]
    [InlineData("password: \"Tr1cky-Horse\"", SecretKinds.Password, "Tr1cky-Horse")]
    [InlineData("DB_PASSWORD=Winter2031x\nDB_HOST=db", SecretKinds.Password, "Winter2031x")]
    [InlineData("<password>Pl4in-Text</password>", SecretKinds.Password, "Pl4in-Text")]
    [InlineData("if user == \"root\" and passwd == \"toor1234\":", SecretKinds.Password, "toor1234")]
    [InlineData("machine ftp.example.net\n  login joe\n  password m0nkey99\n", SecretKinds.Password, "m0nkey99")]
    [InlineData("Connect-Box -Server 10.0.0.5 -User admin -Password S3cure!x", SecretKinds.Password, "S3cure!x")]
    [InlineData("psexec \\\\host -u Administrator -p hunter22 cmd", SecretKinds.Password, "hunter22")]
    [InlineData("curl -u deploy:Qw3rty-99 https://ci.example.net/job", SecretKinds.Password, "Qw3rty-99")]
    [InlineData("the password for the admin user is 'blue-falcon-7'", SecretKinds.Password, "blue-falcon-7")]
    [InlineData("Server=db01;Database=app;User Id=app;Password=Tr0ub4dor&3x;", SecretKinds.ConnectionStringPassword, "Tr0ub4dor&3x")]
    [InlineData("jwt:\n  secret: \"correct#horse\"\n", SecretKinds.GenericSecret, "correct#horse")]
    public void Password_literals_are_found_in_config_code_command_lines_and_sentences(string text, string kind, string value)
    {
        Assert.Equal([(kind, value)], Find(text));
    }

    public static TheoryData<string> LocalizedPasswordLabels() =>
    [
        "Passwort: {0}", "Kennwort = {0}", "Contraseña: {0}", "contrasena={0}", "Mot de passe : {0}", "mot_de_passe=\"{0}\"", "Senha: {0}",
        "wachtwoord: {0}", "Hasło: {0}", "Lösenord: {0}", "Şifre: {0}", "salasana = {0}", "heslo: {0}", "Jelszó: {0}", "passord: {0}",
        "Пароль: {0}", "Mật khẩu: {0}", "kata sandi: {0}", "סיסמה: {0}", "كلمة المرور: {0}", "पासवर्ड: {0}",
        "用户名：admin\n密码：{0}", "密碼: {0}", "パスワード：{0}", "비밀번호: {0}", "db_passwort={0}", "{{\"senha\": \"{0}\"}}",
        "Ihre Zugangsdaten:\nBenutzer: mueller\nPasswort: {0}\nBitte ändern Sie es nach der ersten Anmeldung.",
        "密码：“{0}”", "密码：「{0}」", "密码：{0}？谢谢", "мой_пароль={0}", "пароль_бд: {0}", "הסיסמה: {0}",
    ];

    [Theory]
    [MemberData(nameof(LocalizedPasswordLabels))]
    public void Passwords_labelled_in_other_languages_are_found(string format)
    {
        // A value made here for each label (the label's hash seeds it), letters, digits and a sign.
        var value = Fake(Alnum, 9, format.Length) + "#" + Fake(Digits, 2, format.Length + 1);
        Assert.Equal([(SecretKinds.Password, value)], Find(string.Format(CultureInfo.InvariantCulture, format, value)));
    }

    [Theory]
    [InlineData("Ich habe mein Passwort vergessen, wie kann ich es zurücksetzen?")]
    [InlineData("Passwort: muss mindestens 12 Zeichen lang sein")]
    [InlineData("Passwort: IhrPasswort")]
    [InlineData("Contraseña: ********")]
    [InlineData("Senha: <sua senha>")]
    [InlineData("Fiz uma resenha: livro=excelente2024 e autor=desconhecido")]
    [InlineData("Пароль: ваш_пароль")]
    [InlineData("如果忘记密码，请点击“找回密码”。")]
    [InlineData("암호화: AES256-GCM")]
    [InlineData("Kennwortänderung=erforderlich2026")]
    [InlineData("密码：至少8位，包含大小写字母和数字")]
    [InlineData("密码：请联系管理员获取")]
    [InlineData("パスワード：8文字以上で入力してください")]
    [InlineData("รหัสผ่าน: ต้องมีอย่างน้อย 8 ตัวอักษร")]
    [InlineData("사용한 암호: AES256-GCM")]
    [InlineData("Κωδικός: LPT-4471X")]
    [InlineData("Passwort: erforderlich")]
    [InlineData("Contraseña: obligatoria")]
    [InlineData("Пароль: обязателен")]
    public void Localized_password_words_in_prose_labels_and_other_words_are_not_secrets(string text)
    {
        Assert.Empty(Find(text));
    }

    [Theory]
    [InlineData("postgres://app:S3cr3t-Pa55@db.internal:5432/app", "S3cr3t-Pa55")]
    [InlineData("mongodb+srv://svc:p%40ss-w0rd@cluster0.example.net/?retryWrites=true", "p%40ss-w0rd")]
    [InlineData("amqp://guest:gu3st@rabbit:5672 and some text", "gu3st")]
    public void Passwords_in_urls_are_found(string text, string password)
    {
        Assert.Equal([(SecretKinds.UrlCredentials, password)], Find(text));
    }

    [Fact]
    public void Azure_storage_keys_and_heroku_uuids_get_their_kind_from_the_name()
    {
        var accountKey = Fake(Alnum + "+/", 86) + "==";
        var text = $"DefaultEndpointsProtocol=https;AccountName=store;AccountKey={accountKey};EndpointSuffix=core.windows.net";
        Assert.Equal([(SecretKinds.AzureStorageKey, accountKey)], Find(text));
        Assert.Equal([(SecretKinds.HerokuApiKey, "0b7a2f4e-51c3-4d8e-9a6f-3c2b1d0e9f87")], Find("HEROKU_API_KEY: 0b7a2f4e-51c3-4d8e-9a6f-3c2b1d0e9f87"));
    }

    [Fact]
    public void Private_key_blocks_are_found_whole_also_with_escaped_line_breaks()
    {
        var body = string.Join("\n", Enumerable.Range(0, 6).Select(i => Fake(Alnum + "+/", 64, 30 + i)));
        var pem = $"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----";
        Assert.Equal([(SecretKinds.PrivateKey, pem)], Find($"here is my key:\n{pem}\n\nwhy does ssh refuse it?"));

        var escaped = $"-----BEGIN PRIVATE KEY-----\\n{body.Replace("\n", "\\n", StringComparison.Ordinal)}\\n-----END PRIVATE KEY-----";
        var json = $"{{\"type\": \"service_account\", \"private_key\": \"{escaped}\\n\", \"client_email\": \"svc@project.iam.gserviceaccount.com\"}}";
        Assert.Equal([(SecretKinds.PrivateKey, escaped)], Find(json));

        var openssh = $"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----";
        Assert.Equal([(SecretKinds.PrivateKey, openssh)], Find(openssh));
    }

    [Theory]
    [InlineData("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----")]
    [InlineData("-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4f5wg5l2hKsTeNem/V41fGnJm6gOdrj8ym3rFkEU/wT8RDtnSgFEZOQpHEgQ7JL38xUfU0Y3g6aYw9QT0hJ7mc\n-----END PUBLIC KEY-----")]
    public void Certificates_public_keys_and_elided_keys_are_not_private_keys(string text)
    {
        Assert.Empty(Find(text));
    }

    [Theory]
    [InlineData("api_key = \"YOUR_API_KEY\"")]
    [InlineData("OPENAI_API_KEY=your-openai-key-here")]
    [InlineData("token: xxxxxxxxxxxxxxxxxxxxxxxx")]
    [InlineData("\"secret\": \"<token>\"")]
    [InlineData("PASSWORD=${SECRET}")]
    [InlineData("password = \"changeme\"")]
    [InlineData("password: \"password\"")]
    [InlineData("api_key=\"example-key-1234567890abcdef\"")]
    [InlineData("Authorization: Bearer <token>")]
    [InlineData("Authorization: Bearer $TOKEN")]
    [InlineData("password: ${{ secrets.DB_PASSWORD }}")]
    [InlineData("client_secret = os.environ[\"CLIENT_SECRET\"]")]
    [InlineData("password = request.form[\"password\"]")]
    [InlineData("def login(self, user='', password=''):")]
    [InlineData("conn = connect(host=h, user=u, password=db_password)")]
    [InlineData("secret_key = settings.SECRET_KEY")]
    [InlineData("token = get_token()")]
    [InlineData("postgres://user:password@localhost/db")]
    [InlineData("https://user:${DB_PASS}@db.example.net")]
    [InlineData("aws_secret_access_key = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("api_key: 0123456789abcdef0123")]
    public void Placeholders_variables_and_code_references_are_not_secrets(string text)
    {
        Assert.Empty(Find(text));
    }

    [Theory]
    [InlineData("Summarise in one sentence why our nightly build failed after the dependency upgrade.")]
    [InlineData("The key to success is persistence; the secret is showing up every day.")]
    [InlineData("Please reset my password, I forgot it. Password: must be at least 12 characters long.")]
    [InlineData("Pass the token to the tokenizer and the keyboard handler, then authenticate the author.")]
    [InlineData("commit 3f2a9c1e8b7d6f5a4e3d2c1b0a9f8e7d6c5b4a39\nAuthor: Jane <jane@example.com>\n\n    fix the build")]
    [InlineData("request id 123e4567-e89b-12d3-a456-426614174000 failed at 2026-11-02T10:15:00Z")]
    [InlineData("sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("my_secret_key_name = build_secret_key_name(prefix, suffix)")]
    [InlineData("const tokenizer = AutoTokenizer.from_pretrained(\"bert-base-uncased\");")]
    [InlineData("primary_key=True, sort_keys=True, key=lambda item: item[1]")]
    [InlineData("secret_name: prod-db-credentials\ntoken_url: https://auth.example.net/oauth/token\nkey_id: 7")]
    [InlineData("passwordLabel:\"Password:\",usernameLabel:\"Username or email:\"")]
    [InlineData("<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\">")]
    [InlineData("Use the AuthenticationMiddleware and the TokenValidationParameters class in ASP.NET Core.")]
    public void Prose_ids_hashes_and_identifiers_are_not_secrets(string text)
    {
        Assert.Empty(Find(text));
    }

    [Fact]
    public void A_commit_hash_assigned_to_a_secret_name_is_a_secret()
    {
        Assert.Equal([(SecretKinds.GenericHighEntropy, "3f2a9c1e8b7d6f5a4e3d2c1b0a9f8e7d6c5b4a39")], Find("DEPLOY_TOKEN=3f2a9c1e8b7d6f5a4e3d2c1b0a9f8e7d6c5b4a39"));
    }

    [Fact]
    public void Several_secrets_come_in_order_without_overlaps()
    {
        var github = "ghp_" + Fake(Alnum, 36, 40);
        var secret = Fake(Alnum, 32, 41);
        var text = $"GITHUB_TOKEN={github}\nAPP_SECRET=\"{secret}\"\nDATABASE_URL=postgres://app:Zq8-pw4x@db/app";
        Assert.Equal([(SecretKinds.GithubToken, github), (SecretKinds.GenericHighEntropy, secret), (SecretKinds.UrlCredentials, "Zq8-pw4x")], Find(text));
    }

    [Fact]
    public void A_text_with_more_candidates_than_the_detector_examines_is_refused_not_half_inspected()
    {
        var dense = string.Concat(Enumerable.Repeat("key=1 ", SecretDetector.MaxCandidates + 1));
        var error = Assert.Throws<SecretTextTooDenseException>(() => Detector.Find(dense));
        Assert.DoesNotContain("key=1", error.Message, StringComparison.Ordinal);
        Assert.Empty(Detector.Find(string.Concat(Enumerable.Repeat("key=1 ", SecretDetector.MaxCandidates - 10))));
    }

    [Fact]
    public void Hostile_text_gives_matches_inside_it_and_no_exception()
    {
        var random = new Random(23);
        const string Alphabet = "aAkK0=:\"' \n-_./+@$ghp_sk-eyJ.AKIA\u200b\u0661\uff11passwordtoken密码：senhaПароль";
        for (var i = 0; i < 200; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(0, 5000)).Select(_ => Alphabet[random.Next(Alphabet.Length)])]);
            AssertInside(text, FindOrRefuse(text));
        }

        Assert.Empty(Detector.Find(new string('a', 100_000)));
        Assert.Empty(Detector.Find(string.Concat(Enumerable.Repeat("sk-", 30_000))));
        Assert.Empty(Detector.Find(string.Concat(Enumerable.Repeat("eyJ", 30_000))));
        Assert.Empty(Detector.Find("-----BEGIN RSA PRIVATE KEY-----" + new string('-', 50_000)));
    }

    [Fact]
    public void The_naughty_strings_do_not_break_it()
    {
        var blns = SharedCorpus("fuzz", "blns", "blns.txt");
        if (blns is null)
        {
            return; // ../shared is not checked out here; CI has it.
        }

        foreach (var line in File.ReadLines(blns))
        {
            foreach (var text in (string[])[line, $"password={line}", $"api_key = \"{line}\"", $"https://u:{line}@h", $"Bearer {line}", $"Passwort: {line}", $"密码：{line}"])
            {
                AssertInside(text, FindOrRefuse(text));
            }
        }
    }

    [Fact]
    public void Results_are_the_same_every_time_and_on_every_thread()
    {
        var text = $"GITHUB_TOKEN=ghp_{Fake(Alnum, 36, 50)}\npassword: \"x9-Secret\"\nsome prose about keys and tokens";
        var first = Detector.Find(text);
        Assert.Equal(2, first.Count);
        Parallel.For(0, 64, _ => Assert.Equal(first, Detector.Find(text)));
    }

    public static TheoryData<string, string> MoreProviderTokens() => new()
    {
        { "nuget-api-key", "oy2" + Fake(Lower + Digits, 43, 101) },
        { "tavily-api-key", "tvly-" + Fake(Alnum, 32, 102) },
        { "tavily-api-key", "tvly-dev-" + Fake(Alnum, 32, 103) },
        { "dependency-track-api-key", "odt_" + Fake(Alnum, 32, 104) },
        { "firecrawl-api-key", "fc-" + Fake(Hex, 32, 105) },
        { "sourcegraph-token", "sgp_" + Fake(Hex, 16, 106) + "_" + Fake(Hex, 40, 107) },
        { "segment-token", "sgp_" + Fake(Alnum, 64, 108) },
        { "dynatrace-token", "dt0c01." + Fake(Upper + Digits, 24, 109) + "." + Fake(Upper + Digits, 64, 110) },
        { "adobe-client-secret", "p8e-" + Fake(Alnum, 32, 111) },
        { "twitch-token", "oauth:" + Fake(Lower + Digits, 30, 112) },
        { "twitch-stream-key", "live_" + Fake(Digits, 9, 134) + "_" + Fake(Alnum, 30, 135) },
        { "vault-token", "hvs." + Fake(Alnum, 24, 136) },
        { "vault-token", "hvb." + Fake(Base64Url, 37, 137) },
        { "aws-session-token", "IQoJb3JpZ2luX2VjE" + Fake(Base64, 300, 170) + "=" },
        { "firebase-cloud-messaging-key", "AAAA" + Fake(Base64Url, 7, 171) + ":" + Fake(Base64Url, 140, 172) },
        { "nvidia-api-key", "nvapi-" + Fake(Base64Url, 64, 173) },
        { "elevenlabs-api-key", "sk_" + Fake(Hex, 48, 174) },
        { "cloudflare-origin-ca-key", "v1.0-" + Fake(Hex, 24, 175) + "-" + Fake(Hex, 146, 176) },
        { "asana-token", "2/" + Fake(Digits, 16, 177) + "/" + Fake(Digits, 16, 178) + ":" + Fake(Hex, 32, 179) },
        { "fly-io-token", "fo1_" + Fake(Base64Url, 43, 180) },
        { "pinecone-api-key", "pcsk_" + Fake(Alnum, 6, 181) + "_" + Fake(Alnum, 60, 182) },
        { "render-api-key", "rnd_" + Fake(Alnum, 32, 183) },
        { "netlify-token", "nfp_" + Fake(Alnum, 36, 184) },
        { "hubspot-token", "pat-na1-" + Guid.Parse("0c1f5e6a-9b2d-4e8f-a173-5d6c2b9e0f41").ToString() },
        { "mailersend-api-key", "mlsn." + Fake(Hex, 64, 185) },
        { "contentful-token", "CFPAT-" + Fake(Base64Url, 43, 186) },
        { "prefect-api-key", "pnu_" + Fake(Alnum, 36, 187) },
        { "typeform-token", "tfp_" + Fake(Base64Url, 50, 188) },
        { "clojars-token", "CLOJARS_" + Fake(Lower + Digits, 60, 189) },
        { "frameio-token", "fio-u-" + Fake(Base64Url, 64, 190) },
        { "flutterwave-key", "FLWSECK_TEST-" + Fake("abcdefgh0123456789", 32, 191) + "-X" },
        { "easypost-key", "EZAK" + Fake(Alnum, 54, 192) },
        { "duffel-token", "duffel_test_" + Fake(Base64Url, 43, 193) },
        { "shippo-token", "shippo_live_" + Fake(Hex, 40, 194) },
        { "readme-api-key", "rdme_" + Fake(Lower + Digits, 70, 195) },
        { "scalingo-token", "tk-us-" + Fake(Base64Url, 48, 196) },
        { "harness-token", "pat." + Fake(Base64Url, 22, 197) + "." + Fake(Hex, 24, 198) + "." + Fake(Alnum, 20, 199) },
        { "infracost-api-key", "ico-" + Fake(Alnum, 32, 200) },
        { "octopus-deploy-key", "API-" + Fake(Upper + Digits, 26, 201) },
        { "openshift-token", "sha256~" + Fake(Base64Url, 43, 202) },
        { "onepassword-token", "ops_eyJ" + Fake(Base64, 300, 203) },
        { "bitbucket-app-password", "ATBB" + Fake(Alnum, 32, 204) },
        { "definednet-key", "dnkey-" + Fake(Lower + Digits, 26, 205) + "-" + Fake(Lower + Digits, 52, 206) },
        { "yandex-key", "AQVN" + Fake(Base64Url, 36, 207) },
        { "yandex-key", "y0_" + Fake(Base64Url, 55, 208) },
        { "salesforce-token", "00D" + Fake(Alnum, 15, 209) + "!" + Fake(Alnum + ".", 96, 210) },
        { "plaid-access-token", "access-sandbox-" + Guid.Parse("5f0c7e1a-93b2-4d6e-8a41-c2e9b7d03f58").ToString() },
        { "facebook-access-token", "EAA" + Fake(Alnum, 160, 211) },
        { "twitter-bearer-token", new string('A', 22) + Fake(Alnum, 20, 113) + "%3D" + Fake(Alnum, 50, 114) },
        { "artifactory-token", "AKCp" + Fake(Alnum, 69, 115) },
        { "sonarqube-token", "squ_" + Fake(Hex, 40, 116) },
        { "appsync-api-key", "da2-" + Fake(Lower + Digits, 26, 117) },
        { "stackhawk-api-key", "hawk." + Fake(Alnum, 20, 118) + "." + Fake(Alnum, 20, 119) },
        { "alibaba-access-key-id", "LTAI" + Fake(Alnum, 20, 120) },
        { "newrelic-key", "NRAK-" + Fake(Upper + Digits, 27, 121) },
        { "newrelic-key", "NRIQ-" + Fake(Base64Url, 32, 122) },
        { "newrelic-key", "px-api-" + Guid.Parse("3c6f1d2e-8a4b-4f7c-9e21-5b0d7a6c4e19").ToString() },
        { "docker-hub-token", "dckr_oat_" + Fake(Base64Url, 32, 123) },
        { "terraform-token", Fake(Lower + Digits, 14, 124) + ".atlasv1." + Fake(Base64Url, 67, 125) },
        { SecretKinds.SlackToken, "xoxp-" + Fake(Digits, 11, 126) + "-" + Fake(Digits, 12, 127) + "-" + Fake(Digits, 13, 128) + "-" + Fake(Hex, 32, 129) },
        { SecretKinds.Jwt, Base64UrlJson("{\n  \"alg\": \"RS256\"\n}") + "." + Fake(Base64Url, 60, 130) + "." + Fake(Base64Url, 43, 131) },
        { SecretKinds.Jwt, Base64UrlJson("{\"typ\": \"TCV2\"}") + "." + Fake(Base64Url, 36, 132) + "." + Fake(Base64Url, 48, 133) },
    };

    [Theory]
    [MemberData(nameof(MoreProviderTokens))]
    public void More_provider_formats_are_found_by_format_alone(string kind, string token)
    {
        Assert.Equal([(kind, token)], Find($"it failed with {token} so I pasted it here"));
        Assert.Equal([(kind, token)], Find($"TOOL_CONFIG=\"{token}\""));
    }

    [Fact]
    public void Signed_url_signatures_rpc_keys_in_endpoint_urls_and_braintree_tokens_are_found()
    {
        var sas = Fake(Base64, 43, 212).Replace("+", "%2B", StringComparison.Ordinal).Replace("/", "%2F", StringComparison.Ordinal) + "%3D";
        Assert.Equal(
            [("signed-url-signature", sas)],
            Find($"download https://acct.blob.core.windows.net/c/report.pdf?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-31T00:00:00Z&sig={sas} now"));
        var amz = Fake(Hex, 64, 213);
        Assert.Equal(
            [("signed-url-signature", amz)],
            Find($"https://bucket.s3.amazonaws.com/a.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature={amz}"));
        var infura = Fake(Hex, 32, 214);
        Assert.Equal([("web3-rpc-key", infura)], Find($"const rpc = \"https://mainnet.infura.io/v3/{infura}\";"));
        var alchemy = Fake(Base64Url, 32, 215);
        Assert.Equal([("web3-rpc-key", alchemy)], Find($"RPC_URL=https://eth-mainnet.g.alchemy.com/v2/{alchemy}"));
        var braintree = "access_token$production$" + Fake(Lower + Digits, 16, 216) + "$" + Fake(Hex, 32, 217);
        Assert.Equal([("braintree-access-token", braintree)], Find($"gateway = braintree.BraintreeGateway(access_token=\"{braintree}\")"));

        var bot = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("987654321098765432")).TrimEnd('=') + "." + Fake(Base64Url, 6, 219) + "." + Fake(Base64Url, 38, 220);
        Assert.Equal([("discord-bot-token", bot)], Find($"client.login('{bot}');"));

        // Not credentials: three dotted parts whose first is not a user id, a short or documentation
        // signature, a project id placeholder, a query parameter named otherwise.
        Assert.Empty(Find("token N" + Fake(Alnum, 25, 221) + "." + Fake(Alnum, 6, 222) + "." + Fake(Alnum, 30, 223)));
        Assert.Empty(Find("see ?sig=abc123 in the docs"));
        Assert.Empty(Find("https://x.blob.core.windows.net/c?sv=2022-11-02&sig=" + new string('a', 43) + "%3D"));
        Assert.Empty(Find("https://mainnet.infura.io/v3/YOUR-PROJECT-ID"));
        Assert.Empty(Find("https://example.com/search?q=signature&page=2&design=" + Fake(Lower, 50, 218)));
    }

    [Fact]
    public void Marker_formats_truenas_telegram_after_bot_and_thingsboard_paths_are_found()
    {
        var truenas = "7-" + Fake(Alnum, 64, 140);
        Assert.Equal([("truenas-api-key", truenas)], Find($"{{\"method\": \"auth.login_with_api_key\", \"params\": [\"{truenas}\"]}}"));
        var bot = Fake(Digits, 10, 141) + ":AA" + Fake(Base64Url, 33, 142);
        Assert.Equal([("telegram-bot-token", bot)], Find($"https://api.telegram.org/bot{bot}/getMe"));
        var shorter = Fake(Digits, 10, 144) + ":AA" + Fake(Base64Url, 32, 145);
        Assert.Equal([("telegram-bot-token", shorter)], Find($"TELEGRAM = {shorter}"));
        Assert.Empty(Find($"TELEGRAM = {Fake(Digits, 10, 146)}:AA{Fake(Base64Url, 31, 147)}"));
        var device = Fake(Alnum, 20, 143);
        Assert.Equal([("thingsboard-access-token", device)], Find($"curl -X POST https://tb.example.net/api/v1/{device}/telemetry -d '{{\"t\": 21}}'"));
    }

    [Fact]
    public void Passwords_passed_to_credential_constructors_are_found()
    {
        Assert.Equal([(SecretKinds.Password, "Kx7-walrus")], Find("var entry = new DirectoryEntry(\"LDAP://dc01.corp.example\", \"corp\\\\svc\",\n    \"Kx7-walrus\");"));
        Assert.Equal([(SecretKinds.Password, "m4ple#Leaf")], Find("client.Credentials = new NetworkCredential(\"mailer\", \"m4ple#Leaf\");"));
        Assert.Empty(Find("client.Credentials = new NetworkCredential(\"mailer\", \"<password>\");"));
    }

    [Fact]
    public void Provider_specific_names_reporter_ids_crumbs_and_okta_ssws()
    {
        var reporter = Fake(Hex, 64, 150);
        Assert.Equal([(SecretKinds.GenericHighEntropy, reporter)], Find($"env:\n  CC_TEST_REPORTER_ID: {reporter}\n"));
        var crumb = Fake(Hex, 32, 151);
        Assert.Equal([(SecretKinds.GenericHighEntropy, crumb)], Find($"curl -H 'Jenkins-Crumb:{crumb}' https://ci.example.net/job/x/build"));
        var okta = "00" + Fake(Base64Url, 40, 152);
        Assert.Equal([(SecretKinds.AuthorizationHeader, okta)], Find($"Authorization: SSWS {okta}"));
        var vault = "s." + Fake(Alnum, 24, 153);
        Assert.Equal([("vault-token", vault)], Find($"VAULT_TOKEN=\"{vault}\""));
        var batch = "b." + Fake(Alnum, 30, 154);
        Assert.Equal([("vault-token", batch)], Find($"VAULT_CLIENT_TOKEN=\"{batch}\""));
    }

    [Fact]
    public void Vault_unseal_keys_are_found_where_vault_prints_them_and_where_they_are_typed()
    {
        var first = Fake(Base64, 44, 155);
        var second = Fake(Base64, 43, 156) + "=";
        Assert.Equal(
            [("vault-unseal-key", first), ("vault-unseal-key", second)],
            Find($"Unseal Key 1: {first}\nUnseal Key 2: {second}\n\nInitial Root Token: (printed once)"));
        Assert.Equal([("vault-unseal-key", first)], Find($"kubectl exec -ti vault-0 -- vault operator unseal {first}"));
        // Not 32 or 33 bytes of base64, or words: not a key.
        Assert.Empty(Find("vault operator unseal -reset"));
        Assert.Empty(Find($"Unseal Key 1: {Fake(Base64, 30, 157)}"));
    }

    [Fact]
    public void A_random_secret_with_angle_brackets_or_quotes_is_a_secret_and_a_bracketed_name_a_placeholder()
    {
        const string Random = "7`D\"}/vYR)T;W5]EBrf;_&k>qX??]G&3CF=;@vyrVBp";
        Assert.Equal([(SecretKinds.GenericSecret, Random)], Find($"oauth:\n  jwtsecret: '{Random}'\n"));
        Assert.Empty(Find("jwtsecret: '<the signing secret>'"));
        Assert.Empty(Find("api_key = \"<your-api-key>\""));
    }

    [Fact]
    public void A_terraform_variable_default_is_the_value_of_its_name()
    {
        var token = Fake(Base64Url, 40, 211);
        Assert.Equal([(SecretKinds.GenericHighEntropy, token)], Find($"variable \"corp_okta_api_token\" {{\n  default = \"{token}\"\n}}\n"));
        Assert.Equal([(SecretKinds.Password, "Kx7-walrus!")], Find("variable \"db_password\" {\n  type      = string\n  sensitive = true\n  default   = \"Kx7-walrus!\"\n}"));
        // No default, a reference, or a default in another block: nothing.
        Assert.Empty(Find("variable \"db_password\" {\n  type      = string\n  sensitive = true\n}"));
        Assert.Empty(Find("variable \"api_token\" {\n  default = var.other\n}"));
        Assert.Empty(Find($"variable \"api_token\" {{}}\nresource \"x\" \"y\" {{ default = \"{token}\" }}"));
    }

    [Fact]
    public void Dotnet_app_settings_entries_are_read_as_name_and_value()
    {
        Assert.Equal(
            [(SecretKinds.Password, "Prestigitariu$")],
            Find("<add key=\"FromEmailAddress\" value=\"ops@example.com\"/>\n<add key=\"FromEmailPassword\" value=\"Prestigitariu$\"/>"));
        var token = Fake(Alnum, 32, 158);
        Assert.Equal([(SecretKinds.GenericHighEntropy, token)], Find($"<add key=\"PaymentApiKey\" value=\"{token}\" />"));
        // The key attribute names the setting; a setting that is no credential is nothing.
        Assert.Empty(Find("<add key=\"ConnectionString_B2B\" value=\"Server=db01;Database=B2B;Trusted_Connection=True\" />"));
        Assert.Empty(Find("<add key=\"PasswordMinLength\" value=\"12\" />"));
    }

    [Theory]
    [InlineData("export PGPASSWORD=\"$gdcapi_db_password\"")]
    [InlineData("- echo 'export DATABASE_PASSWORD=\"'$PRECOMPILE_PASSWORD'\"' >> .env")]
    [InlineData("IAMUserChangePassword = \"arn:aws:iam::aws:policy/IAMUserChangePassword\"")]
    [InlineData("token_arn: arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-token-Ab12Cd")]
    public void Quoted_shell_variables_and_resource_names_are_not_secrets(string text)
    {
        Assert.Empty(Find(text));
    }

    [Theory]
    [InlineData("xoxb-" + "not-a-real-token-at-all")]                    // no numeric team id
    [InlineData("NRAK-" + "ABC123")]                                     // 27 after NRAK-
    [InlineData("tvly-" + "abc")]
    [InlineData("sgp_" + "0123")]
    public void Near_miss_provider_prefixes_are_not_tokens(string value)
    {
        Assert.Empty(Find($"it failed with {value} here"));
    }

    [Fact]
    public void Near_misses_assigned_to_secret_names_are_not_reported_through_the_generic_path()
    {
        // The provider's prefix, but not its length or alphabet.
        Assert.Empty(Find($"apikey: hvb.{Fake(Alnum, 20, 160)}"));
        Assert.Empty(Find($"SLACK_TOKEN=xoxb-{Fake(Alnum, 30, 161)}"));
        Assert.Empty(Find($"NEW_RELIC_API_KEY=NRAK-{Fake(Upper + Digits, 31, 162)}"));
        Assert.Empty(Find($"GITHUB_TOKEN=ghp_{Fake(Alnum, 30, 163)}"));
        // Vault tokens before 1.10 are "s.", "b." or "r." and at least 24 characters.
        Assert.Empty(Find($"VAULT_CLIENT_TOKEN=\"s.{Fake(Alnum, 20, 164)}\""));
        Assert.Empty(Find($"VAULT_CLIENT_TOKEN=\"r.{Fake(Alnum, 21, 165)}\""));
        // An AWS secret access key is 40 base64 characters.
        Assert.Empty(Find($"export AWS_SECRET_ACCESS_KEY={Fake(Hex, 42, 166)}"));
        Assert.Equal(SecretKinds.AwsSecretAccessKey, Assert.Single(Find($"export AWS_SECRET_ACCESS_KEY={Fake(Alnum + "+/", 40, 167)}")).Kind);
    }

    [Theory]
    [InlineData("AKIAIOSFODNN7EXAMPLE")]
    [InlineData("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    [InlineData("ghp_0123456789abcdefghijklmnopqrstuvwxyz")]
    [InlineData("A3T0ABCDEFGHIJKLMNOP")]
    [InlineData("sk_live_YOUR_SECRET_KEY_GOES_1N_HERE_99")]
    [InlineData("npm_000000000000000000000000000000000000")]
    public void Documentation_tokens_with_words_sequences_or_repeats_are_not_reported(string token)
    {
        Assert.Empty(Find($"token = \"{token}\""));
        Assert.Empty(Find($"see {token} in the docs"));
    }

    [Fact]
    public void A_jwt_needs_a_json_header()
    {
        var notJson = Base64UrlJson("eyes only, not a header") + "." + Fake(Base64Url, 40, 170) + "." + Fake(Base64Url, 40, 171);
        Assert.Empty(Find($"value {notJson} here"));
        var noAlg = Base64UrlJson("{\"kid\": \"1\"}") + "." + Fake(Base64Url, 40, 172) + "." + Fake(Base64Url, 40, 173);
        Assert.Empty(Find($"value {noAlg} here"));
    }

    private static List<SecretMatch> FindOrRefuse(string text)
    {
        try
        {
            return Detector.Find(text);
        }
        catch (SecretTextTooDenseException)
        {
            return [];
        }
    }

    private static void AssertInside(string text, List<SecretMatch> matches)
    {
        var end = 0;
        foreach (var match in matches)
        {
            Assert.InRange(match.Start, end, text.Length - 1);
            Assert.InRange(match.End, match.Start + 1, text.Length);
            end = match.End;
        }
    }

    /// <summary>A file of the shared corpora next to the repository (../shared/corpora), or null when they are not there.</summary>
    private static string? SharedCorpus(params string[] parts)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AiGuard.sln")))
            {
                var path = Path.Combine([directory.FullName, "..", "shared", "corpora", .. parts]);
                return File.Exists(path) ? path : null;
            }
        }

        return null;
    }
}
