using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AiGuard.Identity;
using AiGuard.Training.Simulation;

namespace AiGuard.IntegrationTests.Anomaly;

/// <summary>
/// The demo classifier behind a running gateway, as a simulator sees it: natural samples come from
/// the in-process victim, every answer from a real Open Inference v2 request over HTTP with one
/// client's key.
/// </summary>
internal sealed class GatewayVictim : IVictimModel
{
    private readonly IVictimModel _local;
    private readonly HttpClient _http;
    private readonly GeneratedApiKey _key;

    public GatewayVictim(IVictimModel local, HttpClient http, GeneratedApiKey key)
    {
        _local = local;
        _http = http;
        _key = key;
    }

    public string Name => _local.Name;

    public int InputSize => _local.InputSize;

    public int ClassCount => _local.ClassCount;

    public float MinValue => _local.MinValue;

    public float MaxValue => _local.MaxValue;

    public (int Height, int Width)? ImageShape => _local.ImageShape;

    /// <summary>Every answer's status and body, in order.</summary>
    public List<(int Status, string Body)> Answers { get; } = [];

    public int SampleNatural(Random random, Span<float> destination) => _local.SampleNatural(random, destination);

    public void SampleOutOfDomain(Random random, Span<float> destination) => _local.SampleOutOfDomain(random, destination);

    public void Predict(ReadOnlySpan<float> rows, Span<float> probabilities)
    {
        var count = rows.Length / InputSize;
        var data = string.Join(",", rows.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/demo-classifier/infer")
        {
            Content = new StringContent(
                $$"""{"inputs":[{"name":"features","shape":[{{count}},{{InputSize}}],"datatype":"FP32","data":[{{data}}]}]}""",
                Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _key.Key);
        using var response = _http.Send(request);
        var body = new StreamReader(response.Content.ReadAsStream()).ReadToEnd();
        Answers.Add(((int)response.StatusCode, body));
        if (!response.IsSuccessStatusCode)
        {
            // A refused request answers nothing: the simulator sees a uniform answer and goes on.
            probabilities[..(count * ClassCount)].Fill(1f / ClassCount);
            return;
        }

        using var json = JsonDocument.Parse(body);
        var values = json.RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        values.AsSpan(0, count * ClassCount).CopyTo(probabilities);
    }
}
