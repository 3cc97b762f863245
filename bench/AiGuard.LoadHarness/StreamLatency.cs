using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace AiGuard.LoadHarness;

/// <summary>
/// <c>--role ttft</c>: time to first token of streamed chat answers through several proxies,
/// requests interleaved one at a time so every target sees the same machine. The demo model
/// streams its reply in pieces of <c>--chunk-chars</c> characters, <c>--delay-ms</c> apart.
/// </summary>
internal static class StreamLatency
{
    public static async Task<int> RunAsync(string[] args)
    {
        var targets = new List<(string Name, string Url)>();
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--target" && args[i + 1].Split('=', 2) is [var name, var url])
            {
                targets.Add((name, url));
            }
        }

        var requests = Number(args, "--requests", 200);
        var chunkChars = Number(args, "--chunk-chars", 3);
        var delayMs = Number(args, "--delay-ms", 0);
        var key = Environment.GetEnvironmentVariable("AIGUARD_BENCH_KEY") ?? throw new InvalidOperationException("AIGUARD_BENCH_KEY is not set.");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var head = targets.ToDictionary(t => t.Name, _ => new List<double>());
        var first = targets.ToDictionary(t => t.Name, _ => new List<double>());
        var firstContent = targets.ToDictionary(t => t.Name, _ => new List<double>());
        var whole = targets.ToDictionary(t => t.Name, _ => new List<double>());
        string? reference = null;
        for (var i = -20; i < requests; i++)
        {
            foreach (var (name, url) in targets)
            {
                var (toHead, toEvent, toContent, total, text) = await OneAsync(client, url, key, chunkChars, delayMs);
                reference ??= text;
                if (!string.Equals(reference, text, StringComparison.Ordinal))
                {
                    await Console.Error.WriteLineAsync($"{name} streamed a different text than the first target: '{text}'");
                    return 1;
                }

                if (i >= 0)
                {
                    // The first 20 rounds warm up the JIT and the connection pools.
                    head[name].Add(toHead);
                    first[name].Add(toEvent);
                    firstContent[name].Add(toContent);
                    whole[name].Add(total);
                }
            }
        }

        Console.WriteLine($"TTFT over {requests} streamed answers per target, {chunkChars}-character chunks {delayMs} ms apart (ms):");
        Console.WriteLine("| target | headers p50 | first event p50 | first text p50 | first text p95 | whole stream p50 | first text p50 vs first target |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        var baseline = Percentile(firstContent[targets[0].Name], 0.5);
        foreach (var (name, _) in targets)
        {
            var p50 = Percentile(firstContent[name], 0.5);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {Percentile(head[name], 0.5):F2} | {Percentile(first[name], 0.5):F2} | {p50:F2} | {Percentile(firstContent[name], 0.95):F2} | {Percentile(whole[name], 0.5):F2} | {p50 - baseline:+0.00;-0.00} |"));
        }

        return 0;
    }

    /// <summary>One streamed request: ms to the response headers, to the first event, to the first non-empty text, to the end; and the text.</summary>
    private static async Task<(double Head, double Event, double Content, double Total, string Text)> OneAsync(HttpClient client, string url, string key, int chunkChars, int delayMs)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url + "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"demo-chat","stream":true,"max_tokens":40,"messages":[{"role":"user","content":"Summarize the release notes for me"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add("x-demo-chunk-chars", chunkChars.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("x-demo-chunk-delay-ms", delayMs.ToString(CultureInfo.InvariantCulture));
        var clock = Stopwatch.StartNew();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var toHead = clock.Elapsed.TotalMilliseconds;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        double toEvent = -1, toContent = -1;
        var text = new StringBuilder();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal))
            {
                continue;
            }

            toEvent = toEvent < 0 ? clock.Elapsed.TotalMilliseconds : toEvent;
            using var chunk = JsonDocument.Parse(line.AsMemory(6));
            var choices = chunk.RootElement.GetProperty("choices");
            if (choices.GetArrayLength() > 0 && choices[0].GetProperty("delta").TryGetProperty("content", out var content)
                && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } piece)
            {
                toContent = toContent < 0 ? clock.Elapsed.TotalMilliseconds : toContent;
                text.Append(piece);
            }
        }

        return (toHead, toEvent, toContent, clock.Elapsed.TotalMilliseconds, text.ToString());
    }

    private static double Percentile(List<double> values, double quantile)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(quantile * sorted.Length))];
    }

    private static int Number(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
