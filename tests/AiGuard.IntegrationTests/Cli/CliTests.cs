using System.Text.Json;
using AiGuard.Identity;

namespace AiGuard.IntegrationTests.Cli;

public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aiguard-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Keys_create_prints_a_key_once_and_a_config_entry_holding_only_its_hash()
    {
        var (exit, stdout, _) = await AiGuardCli.RunAsync(_dir, "keys", "create", "--client-id", "team-a", "--model", "demo-*", "--scope", "inference", "--expires", "2027-01-31T00:00:00Z");

        Assert.Equal(0, exit);
        var key = stdout.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("agk_", StringComparison.Ordinal));
        var json = stdout[stdout.IndexOf('{', StringComparison.Ordinal)..];
        using var entry = JsonDocument.Parse(json);
        var root = entry.RootElement;
        Assert.True(ApiKeyFormat.TryParse(key, out string _, out string id));
        Assert.Equal(id, root.GetProperty("Id").GetString());
        Assert.Equal(ApiKeyFormat.Hash(key), root.GetProperty("Hash").GetString());
        Assert.Equal("team-a", root.GetProperty("ClientId").GetString());
        Assert.Equal("demo-*", root.GetProperty("AllowedModels")[0].GetString());
        Assert.Equal(new DateTimeOffset(2027, 1, 31, 0, 0, 0, TimeSpan.Zero), root.GetProperty("ExpiresAt").GetDateTimeOffset());
        Assert.DoesNotContain(key, json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--port")]
    [InlineData("--model-port")]
    [InlineData("--admin-port")]
    public async Task Demo_on_a_port_already_in_use_says_so_in_one_line_and_exits_1(string option)
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The other listeners on free ports (the admin API would otherwise take the gateway port + 1, which another process may hold).
        string[] args = option switch
        {
            "--port" => ["demo", "--port", port, "--admin-port", "0"],
            "--model-port" => ["demo", "--port", "0", "--model-port", port],
            _ => ["demo", "--port", "0", "--admin-port", port],
        };

        var (exit, stdout, stderr) = await AiGuardCli.RunAsync(_dir, args);

        Assert.Equal(1, exit);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("aiguard demo: ", line, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:" + port, line, StringComparison.Ordinal);
        Assert.EndsWith("choose another port with " + option + ".", line.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain("Hosting failed to start", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_create_without_a_model_fails_with_a_usage_error()
    {
        var (exit, _, stderr) = await AiGuardCli.RunAsync(_dir, "keys", "create");

        Assert.NotEqual(0, exit);
        Assert.Contains("--model", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anomaly_train_on_simulated_traffic_writes_a_tuned_model_and_eval_writes_the_report()
    {
        var train = await AiGuardCli.RunAsync(_dir, "anomaly", "train", "--out", "sim.onnx", "--clients-per-family", "2", "--max-queries", "60", "--trees", "10");
        Assert.True(train.ExitCode == 0, train.StdErr);
        Assert.Contains("Recommended first thresholds: ", train.StdOut, StringComparison.Ordinal);
        Assert.Contains("8 per family", train.StdOut, StringComparison.Ordinal); // tuned on four times the training clients per family
        using (var manifest = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(_dir, "sim.manifest.json"))))
        {
            var training = manifest.RootElement.GetProperty("training");
            Assert.InRange(training.GetProperty("recommended_threshold").GetDouble(), 0.0, 1.0);
            Assert.InRange(training.GetProperty("recommended_text_threshold").GetDouble(), 0.0, 1.0);
            Assert.Equal(0.7, training.GetProperty("feature_fraction").GetDouble());
            Assert.StartsWith("simulated: ", training.GetProperty("traffic").GetString(), StringComparison.Ordinal);
            Assert.True(training.GetProperty("tuning_benign_clients").GetInt32() > 0);
        }

        var eval = await AiGuardCli.RunAsync(_dir, "anomaly", "eval", "--clients-per-family", "2", "--max-queries", "60", "--leave-one-out", "false", "--surrogate-queries", "50", "--markdown", "report.md");
        Assert.True(eval.ExitCode == 0, eval.StdErr);
        var report = await File.ReadAllTextAsync(Path.Combine(_dir, "report.md"));
        Assert.Contains("## 1. On the training victim", report, StringComparison.Ordinal);
        Assert.Contains("## 2. On a victim the model never saw", report, StringComparison.Ordinal);
        Assert.Contains("## 4. Extraction that looks like a heavy user", report, StringComparison.Ordinal);
        Assert.Contains("| hopskipjump | attack | 2 |", report, StringComparison.Ordinal);
        Assert.Contains("| llm/growing-conversation | benign | 2 |", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trained_model_and_manifest_score_a_table_and_a_one_byte_change_fails_the_pinned_load()
    {
        Assert.Equal(0, (await AiGuardCli.RunAsync(_dir, "anomaly", "generate", "--rows", "800", "--out", "features.csv", "--seed", "3")).ExitCode);
        var train = await AiGuardCli.RunAsync(_dir, "anomaly", "train", "--input", "features.csv", "--out", "model.onnx", "--seed", "3", "--trees", "20");
        Assert.Equal(0, train.ExitCode);
        var pin = train.StdOut.Split('\n').Single(l => l.StartsWith("SHA-256: ", StringComparison.Ordinal))["SHA-256: ".Length..].Trim();
        using (var manifest = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(_dir, "model.manifest.json"))))
        {
            Assert.Equal(pin, manifest.RootElement.GetProperty("model_sha256").GetString());
            Assert.Equal(AiGuard.Anomaly.AnomalyFeatures.SchemaVersion, manifest.RootElement.GetProperty("feature_schema_version").GetString());
            var training = manifest.RootElement.GetProperty("training");
            Assert.Equal(800, training.GetProperty("rows").GetInt32() + training.GetProperty("holdout_rows").GetInt32());
            Assert.InRange(training.GetProperty("holdout_rows").GetInt32(), 159, 161);
        }

        var score = await AiGuardCli.RunAsync(_dir, "anomaly", "score", "--model", "model.onnx", "--input", "features.csv", "--sha256", pin, "--schema-version", AiGuard.Anomaly.AnomalyFeatures.SchemaVersion);
        Assert.Equal(0, score.ExitCode);
        var scores = score.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => float.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(800, scores.Length);
        Assert.All(scores, s => Assert.InRange(s, 0f, 1f));
        var labels = (await File.ReadAllLinesAsync(Path.Combine(_dir, "features.csv"))).Skip(1).Select(l => l[(l.LastIndexOf(',') + 1)..] == "1").ToArray();
        Assert.True(
            scores.Where((_, i) => labels[i]).Min() > scores.Where((_, i) => !labels[i]).Average(),
            "every attack should score above the mean benign client");

        var bytes = await File.ReadAllBytesAsync(Path.Combine(_dir, "model.onnx"));
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(Path.Combine(_dir, "tampered.onnx"), bytes);
        var tampered = await AiGuardCli.RunAsync(_dir, "anomaly", "score", "--model", "tampered.onnx", "--input", "features.csv", "--sha256", pin);

        Assert.NotEqual(0, tampered.ExitCode);
        Assert.Contains(pin, tampered.StdErr, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), tampered.StdErr, StringComparison.Ordinal);
        Assert.Empty(tampered.StdOut);
    }

    [Fact]
    public async Task Training_a_table_without_labels_fails_in_one_line()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "unlabelled.csv"), "queries_log,gap_log\n1,2\n");

        var train = await AiGuardCli.RunAsync(_dir, "anomaly", "train", "--input", "unlabelled.csv", "--out", "model.onnx");

        Assert.Equal(1, train.ExitCode);
        Assert.StartsWith("error: The table has no 'label' column", train.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "model.onnx")));
    }

    [Fact]
    public async Task Anomaly_reference_builds_from_a_sample_of_any_protocol_and_the_gateway_can_load_it()
    {
        var sample = await AiGuardCli.RunAsync(_dir, "anomaly", "sample", "--victim", "glyphs", "--rows", "120", "--out", "glyphs.jsonl");
        Assert.Equal(0, sample.ExitCode);
        var lines = await File.ReadAllLinesAsync(Path.Combine(_dir, "glyphs.jsonl"));
        Assert.Equal(120, lines.Length);

        // The same inputs as v2 infer bodies (2 rows each), TF-Serving bodies, and one row of another width.
        var mixed = new List<string>();
        for (var i = 0; i + 1 < lines.Length; i += 2)
        {
            mixed.Add(i % 4 == 0
                ? $$"""{"inputs":[{"name":"x","datatype":"FP32","shape":[2,16,16],"data":[{{lines[i]}},{{lines[i + 1]}}]}]}"""
                : $$"""{"instances":[{{lines[i]}},{{lines[i + 1]}}]}""");
        }

        mixed.Add("[1,2,3]");
        await File.WriteAllLinesAsync(Path.Combine(_dir, "mixed.jsonl"), mixed);

        var built = await AiGuardCli.RunAsync(_dir, "anomaly", "reference", "--input", "mixed.jsonl", "--out", "glyphs.reference.json");
        Assert.Equal(0, built.ExitCode);
        Assert.Contains("120 rows x 256 values", built.StdOut, StringComparison.Ordinal);
        Assert.Contains("1 rows of another width skipped", built.StdOut, StringComparison.Ordinal);
        var reference = AiGuard.Anomaly.TensorReference.Load(Path.Combine(_dir, "glyphs.reference.json"));
        Assert.Equal(256, reference.Width);
        Assert.Equal(120, reference.Rows);
    }

    [Theory]
    [InlineData("{not json", "Line 1 of bad.jsonl is not JSON")]
    [InlineData("[1,2,3]", "gave 1 usable row(s)")]
    [InlineData("[1,2,3]\n[1,2,3]", "never vary")]
    public async Task Anomaly_reference_refuses_a_sample_it_cannot_use_in_one_line(string text, string message)
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "bad.jsonl"), text.Replace("\\n", "\n", StringComparison.Ordinal));

        var built = await AiGuardCli.RunAsync(_dir, "anomaly", "reference", "--input", "bad.jsonl", "--out", "out.json");

        Assert.Equal(1, built.ExitCode);
        Assert.StartsWith("error: ", built.StdErr, StringComparison.Ordinal);
        Assert.Contains(message, built.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "out.json")));
    }

    [Fact]
    public async Task Guard_eval_reports_recall_and_precision_per_entity_type_and_writes_markdown()
    {
        // Presidio's format: one card the detector finds, one it cannot (Luhn fails), and a found e-mail nobody labelled.
        await File.WriteAllTextAsync(Path.Combine(_dir, "pii.json"), """
            [
              {"full_text": "card 4111 1111 1111 1111 ok", "spans": [{"entity_type": "CREDIT_CARD", "entity_value": "4111 1111 1111 1111", "start_position": 5, "end_position": 24}]},
              {"full_text": "card 4111 1111 1111 1112 no", "spans": [{"entity_type": "CREDIT_CARD", "entity_value": "4111 1111 1111 1112", "start_position": 5, "end_position": 24}]},
              {"full_text": "mail a@b.io", "spans": []}
            ]
            """);

        var eval = await AiGuardCli.RunAsync(_dir, "guard", "eval", "--corpus", "pii.json", "--markdown", "pii.md");

        Assert.Equal(0, eval.ExitCode);
        var report = await File.ReadAllTextAsync(Path.Combine(_dir, "pii.md"));
        Assert.Contains("| CreditCard | 2 | 1 | 50.0 % | 100.0 % |  |", report, StringComparison.Ordinal);
        Assert.Contains("| Email | 0 | 1 | - | 0.0 % | unlabelled text 1 |", report, StringComparison.Ordinal);
        Assert.Contains("3 samples", report, StringComparison.Ordinal);

        await File.WriteAllTextAsync(Path.Combine(_dir, "bad.json"), "{\"not\": \"a list\"}");
        var bad = await AiGuardCli.RunAsync(_dir, "guard", "eval", "--corpus", "bad.json");
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith("error: bad.json is not a JSON list of samples", bad.StdErr, StringComparison.Ordinal);
    }
}
