using System.Diagnostics;
using System.Diagnostics.Metrics;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.Extensions.Configuration;

namespace AiGuard.Telemetry;

/// <summary>
/// The OpenTelemetry generative-AI metrics of LLM traffic through the gateway:
/// <c>gen_ai.client.token.usage</c>, <c>gen_ai.server.request.duration</c> and
/// <c>gen_ai.server.time_to_first_token</c>, with the <c>gen_ai.*</c> attributes of the
/// semantic conventions (still marked Development upstream).
/// </summary>
/// <remarks>
/// Recorded once per chat completion when the request ends (<see cref="GuardPipeline"/>), from
/// what the pipeline already knows: the model the request named, the model and token usage the
/// upstream reported (read where the response stages parse the answer, whole or streamed), and
/// when the first streamed text event passed. Tags are built on the stack.
/// </remarks>
public sealed class GenAiMetrics
{
    public const string MeterName = "AiGuard.GenAi";

    /// <summary>Advised bounds of the semantic conventions for <c>gen_ai.client.token.usage</c>.</summary>
    public static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    /// <summary>Advised bounds of the semantic conventions for <c>gen_ai.server.request.duration</c>, seconds.</summary>
    public static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    /// <summary>Advised bounds of the semantic conventions for <c>gen_ai.server.time_to_first_token</c>, seconds.</summary>
    public static readonly double[] FirstTokenBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

    private static readonly string[] StatusTexts = [.. Enumerable.Range(0, 600).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private readonly Histogram<long> _tokens;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _firstToken;
    private readonly string _system;
    private readonly BoundedNames _requestModels;
    private readonly BoundedNames _responseModels;

    public GenAiMetrics(IMeterFactory meterFactory, IConfiguration configuration)
    {
        var options = configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        _system = string.IsNullOrWhiteSpace(options.GenAiSystem) ? "openai" : options.GenAiSystem;
        // Validated at start (TelemetryServiceCollectionExtensions.Validate); a unit test may pass anything.
        _requestModels = new BoundedNames(Math.Max(1, options.MaxModelNames));
        _responseModels = new BoundedNames(Math.Max(1, options.MaxModelNames));
        var meter = meterFactory.Create(MeterName);
        _tokens = meter.CreateHistogram<long>(
            "gen_ai.client.token.usage", "{token}", "Tokens used by one chat completion as the model server reported them, by token type (input or output).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _duration = meter.CreateHistogram<double>(
            "gen_ai.server.request.duration", "s", "Time from the gateway's parsing of a chat completion request to the end of its answer, refusals included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _firstToken = meter.CreateHistogram<double>(
            "gen_ai.server.time_to_first_token", "s", "Time from the gateway's parsing of a streamed chat completion request to the first event with generated text passed to the client.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FirstTokenBuckets });
    }

    /// <summary>Records the metrics of a request that has ended; does nothing for anything but an LLM generation.</summary>
    public void Completed(GuardContext guard)
    {
        if (guard.Request?.Generation is null || guard.Started == 0 || !(_duration.Enabled || _tokens.Enabled || _firstToken.Enabled))
        {
            return;
        }

        var tags = new TagList
        {
            { TelemetryAttributes.GenAiOperation, "chat" },
            { TelemetryAttributes.GenAiSystem, _system },
        };
        // The model a client names is its own choice until a model server took it: a refused
        // request's model, or one the server refused as the client's mistake (4xx: a made-up name
        // is a 404), is left out, so invented names cannot fill the bounded set and push the real
        // ones into _OTHER; served answers, 429 and server errors keep it (a real model's errors).
        if (guard.UpstreamStatus is (>= 200 and < 400) or 429 or >= 500 && _requestModels.Bound(guard.Request.Model) is { } requestModel)
        {
            tags.Add(TelemetryAttributes.GenAiRequestModel, requestModel);
        }

        if (_responseModels.Bound(guard.ResponseModel) is { } responseModel)
        {
            tags.Add(TelemetryAttributes.GenAiResponseModel, responseModel);
        }

        if (guard.Usage is { } usage)
        {
            var input = tags;
            input.Add(TelemetryAttributes.GenAiTokenType, "input");
            _tokens.Record(usage.PromptTokens, input);
            var output = tags;
            output.Add(TelemetryAttributes.GenAiTokenType, "output");
            _tokens.Record(usage.CompletionTokens, output);
        }

        if (guard.FirstTokenAt != 0)
        {
            _firstToken.Record(Stopwatch.GetElapsedTime(guard.Started, guard.FirstTokenAt).TotalSeconds, tags);
        }

        if (guard.RefusalCode is { } code)
        {
            tags.Add(TelemetryAttributes.ErrorType, code);
        }
        else if (guard.UpstreamStatus >= 400 && guard.UpstreamStatus < StatusTexts.Length)
        {
            tags.Add(TelemetryAttributes.ErrorType, StatusTexts[guard.UpstreamStatus]);
        }

        _duration.Record(Stopwatch.GetElapsedTime(guard.Started).TotalSeconds, tags);
    }

    /// <summary>Notes what an answer (whole, or one stream event) says about the model and usage, for <see cref="Completed"/>.</summary>
    internal static void Observe(GuardContext guard, InferenceResponse response)
    {
        if (response.Model is { } model)
        {
            guard.ResponseModel ??= model;
        }

        if (response.Usage is { } usage)
        {
            guard.Usage = usage;
        }

        if (guard.FirstTokenAt == 0 && response.IsStreamChunk && HasText(response.Texts))
        {
            guard.FirstTokenAt = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Whether an event carries generated text (a role-only first delta does not).</summary>
    private static bool HasText(IReadOnlyList<GeneratedText> texts)
    {
        for (var i = 0; i < texts.Count; i++)
        {
            if (texts[i].Text.Length > 0)
            {
                return true;
            }
        }

        return false;
    }
}
