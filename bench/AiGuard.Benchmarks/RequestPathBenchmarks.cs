using System.Buffers;
using System.Text;
using AiGuard.Identity;
using AiGuard.Inspection.Output;
using AiGuard.Protocols;
using AiGuard.Protocols.Json;
using AiGuard.Protocols.OpenAi;
using AiGuard.Protocols.OpenInference;
using BenchmarkDotNet.Attributes;

namespace AiGuard.Benchmarks;

/// <summary>
/// What AiGuard's own steps cost per request, with the bodies of the end-to-end load benchmark
/// (bench/load/chat.lua, bench/load/infer.lua) and the demo model's answer.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class RequestPathBenchmarks
{
    private static readonly byte[] ChatBody = Encoding.UTF8.GetBytes(
        """{"model":"demo-chat","max_tokens":16,"temperature":0.2,"messages":[{"role":"system","content":"You are a concise assistant for a support team."},{"role":"user","content":"Summarise in one sentence why our nightly build failed after the dependency upgrade."}]}""");

    private static readonly byte[] InferBody = Encoding.UTF8.GetBytes(
        """{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}""");

    private static readonly byte[] InferAnswer = Encoding.UTF8.GetBytes(
        """{"model_name":"demo-classifier","model_version":"1","outputs":[{"name":"probabilities","shape":[1,3],"datatype":"FP32","data":[0.9837245,0.016261317,1.4157152E-05]}]}""");

    private static readonly JsonReadLimits Limits = new(32, 100_000);
    private static readonly OutputHardening Round4 = new(4, null, false, []);

    private readonly OpenAiAdapter _openAi = new();
    private readonly OpenInferenceAdapter _openInference = new();
    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private ProtocolOperation _chat = null!;
    private ProtocolOperation _infer = null!;
    private ApiKeyStore _keys = null!;
    private string _key = null!;

    [GlobalSetup]
    public void Setup()
    {
        _chat = _openAi.Match("POST", "/v1/chat/completions")!;
        _infer = _openInference.Match("POST", "/v2/models/demo-classifier/infer")!;
        var key = ApiKeyFormat.Generate();
        _key = key.Key;
        var entries = Enumerable.Range(0, 1000).Select(_ => ApiKeyFormat.Generate())
            .Append(key)
            .Select(k => new ApiKeyEntry { Id = k.Id, Hash = k.Hash, AllowedRoutes = ["*"], AllowedModels = ["*"] })
            .ToList();
        _keys = ApiKeyStore.Build(new ApiKeyOptions { Keys = entries });
    }

    [Benchmark(Description = "API key check (1,001 keys)")]
    public bool ApiKey() => _keys.Validate(_key, DateTimeOffset.UnixEpoch).Succeeded;

    [Benchmark(Description = "Match + parse chat request")]
    public InferenceRequest ParseChat() => _openAi.ParseRequest(_openAi.Match("POST", "/v1/chat/completions")!, ChatBody, Limits);

    [Benchmark(Description = "Match + parse v2 infer request")]
    public InferenceRequest ParseInfer() => _openInference.ParseRequest(_openInference.Match("POST", "/v2/models/demo-classifier/infer")!, InferBody, Limits);

    [Benchmark(Description = "Parse v2 answer, round(4), write back")]
    public int HardenAnswer()
    {
        var response = _openInference.ParseResponse(_infer, InferAnswer);
        foreach (var output in response.Outputs)
        {
            if (ProbabilityHardeningStage.Apply(output.Values, output.RowWidth, Round4))
            {
                output.MarkModified();
            }
        }

        _output.ResetWrittenCount();
        ((IProtocolAdapter)_openInference).WriteResponse(InferAnswer, response, _output);
        return _output.WrittenCount;
    }
}
