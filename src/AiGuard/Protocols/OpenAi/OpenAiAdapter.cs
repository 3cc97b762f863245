using System.Text.Json;
using AiGuard.Protocols.Json;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Protocols.OpenAi;

/// <summary>OpenAI-compatible Chat Completions and model listing.</summary>
public sealed class OpenAiAdapter : IProtocolAdapter
{
    public const string ChatCompletions = "chat.completions";
    public const string ModelsList = "models.list";
    public const string ModelsRetrieve = "models.retrieve";

    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "developer", "user", "assistant", "tool", "function" };

    public string Name => ProtocolNames.OpenAi;

    public ProtocolOperation? Match(string method, string path)
    {
        var trimmed = path.TrimEnd('/');
        if (HttpMethods.IsPost(method) && trimmed == "/v1/chat/completions")
        {
            return new ProtocolOperation(ChatCompletions, HasBody: true);
        }

        if (HttpMethods.IsGet(method) && trimmed == "/v1/models")
        {
            return new ProtocolOperation(ModelsList, HasBody: false);
        }

        const string modelPrefix = "/v1/models/";
        if (HttpMethods.IsGet(method) && trimmed.StartsWith(modelPrefix, StringComparison.Ordinal) && trimmed.Length > modelPrefix.Length)
        {
            return new ProtocolOperation(ModelsRetrieve, HasBody: false, ModelFromPath: Uri.UnescapeDataString(trimmed[modelPrefix.Length..]));
        }

        return null;
    }

    public InferenceRequest ParseRequest(ProtocolOperation operation, JsonElement? body)
    {
        if (operation.Name != ChatCompletions)
        {
            return new InferenceRequest { Protocol = Name, Operation = operation.Name, Model = operation.ModelFromPath };
        }

        var root = JsonFields.RequireObject(body ?? default, string.Empty);
        var model = JsonFields.RequireString(root, "model", "model");
        if (string.IsNullOrWhiteSpace(model))
        {
            throw new ProtocolViolationException("model", "'model' must not be empty.");
        }

        var messages = JsonFields.RequireArray(root, "messages", "messages");
        if (messages.GetArrayLength() == 0)
        {
            throw new ProtocolViolationException("messages", "'messages' must contain at least one message.");
        }

        var inputs = new List<InferenceInput>(messages.GetArrayLength());
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            inputs.AddRange(ReadMessage(message, $"messages[{index}]"));
            index++;
        }

        return new InferenceRequest
        {
            Protocol = Name,
            Operation = operation.Name,
            Model = model,
            Inputs = inputs,
            Generation = ReadGeneration(root),
        };
    }

    public InferenceResponse ParseResponse(ProtocolOperation operation, JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new ProtocolViolationException(string.Empty, "The upstream response is not a JSON object.");
        }

        var isChunk = body.TryGetProperty("object", out var kind) && kind.ValueKind == JsonValueKind.String && kind.ValueEquals("chat.completion.chunk");
        var texts = new List<GeneratedText>();
        if (body.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var choiceIndex = choice.TryGetProperty("index", out var idx) && idx.TryGetInt32(out var i) ? i : texts.Count;
                var message = choice.TryGetProperty(isChunk ? "delta" : "message", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
                var text = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String
                    ? c.GetString()!
                    : string.Empty;
                var finish = choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
                var hasLogprobs = choice.TryGetProperty("logprobs", out var lp) && lp.ValueKind == JsonValueKind.Object;
                texts.Add(new GeneratedText(choiceIndex, text, finish, hasLogprobs));
            }
        }

        return new InferenceResponse
        {
            Protocol = Name,
            Model = body.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String ? model.GetString() : null,
            Texts = texts,
            Usage = ReadUsage(body),
            IsStreamChunk = isChunk,
        };
    }

    /// <summary>Parses the <c>data:</c> payload of one SSE event of a streamed completion.</summary>
    public InferenceResponse ParseStreamEvent(ReadOnlySpan<byte> data)
    {
        if (data.Trim((byte)' ').SequenceEqual("[DONE]"u8))
        {
            return new InferenceResponse { Protocol = Name, IsStreamChunk = true, IsEndOfStream = true };
        }

        try
        {
            using var document = JsonDocument.Parse(data.ToArray());
            return ParseResponse(new ProtocolOperation(ChatCompletions, HasBody: true), document.RootElement);
        }
        catch (JsonException ex)
        {
            throw new ProtocolViolationException(string.Empty, $"A stream event is not valid JSON: {ex.Message}");
        }
    }

    private static IEnumerable<InferenceInput> ReadMessage(JsonElement message, string field)
    {
        JsonFields.RequireObject(message, field);
        var role = JsonFields.RequireString(message, "role", field + ".role");
        if (!Roles.Contains(role))
        {
            throw new ProtocolViolationException(field + ".role", $"'{field}.role' must be one of system, developer, user, assistant, tool, function.");
        }

        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            // Only an assistant turn that calls tools may omit its content.
            if (role == "assistant" && (message.TryGetProperty("tool_calls", out _) || message.TryGetProperty("function_call", out _)))
            {
                yield break;
            }

            throw new ProtocolViolationException(field + ".content", $"'{field}.content' is required.");
        }

        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                yield return new TextInput(field + ".content", role, content.GetString()!);
                break;
            case JsonValueKind.Array:
                var part = 0;
                foreach (var item in content.EnumerateArray())
                {
                    var partField = $"{field}.content[{part}]";
                    JsonFields.RequireObject(item, partField);
                    var type = JsonFields.RequireString(item, "type", partField + ".type");
                    if (type == "text")
                    {
                        yield return new TextInput(partField + ".text", role, JsonFields.RequireString(item, "text", partField + ".text"));
                    }
                    else if (type is not ("image_url" or "input_audio" or "file" or "refusal"))
                    {
                        throw new ProtocolViolationException(partField + ".type", $"'{partField}.type' '{type}' is not a known content part type.");
                    }

                    part++;
                }

                break;
            default:
                throw new ProtocolViolationException(field + ".content", $"'{field}.content' must be a string or an array of content parts, not {JsonFields.Describe(content)}.");
        }
    }

    private static GenerationParameters ReadGeneration(JsonElement root)
    {
        Dictionary<string, double>? logitBias = null;
        if (JsonFields.Optional(root, "logit_bias") is { } bias)
        {
            JsonFields.RequireObject(bias, "logit_bias");
            logitBias = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var entry in bias.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number)
                {
                    throw new ProtocolViolationException($"logit_bias.{entry.Name}", $"'logit_bias.{entry.Name}' must be a number between -100 and 100.");
                }

                var value = entry.Value.GetDouble();
                if (value is < -100 or > 100)
                {
                    throw new ProtocolViolationException($"logit_bias.{entry.Name}", $"'logit_bias.{entry.Name}' must be between -100 and 100.");
                }

                logitBias[entry.Name] = value;
            }
        }

        var includeUsage = false;
        if (JsonFields.Optional(root, "stream_options") is { } streamOptions)
        {
            JsonFields.RequireObject(streamOptions, "stream_options");
            includeUsage = JsonFields.OptionalBool(streamOptions, "include_usage", "stream_options.include_usage") ?? false;
        }

        return new GenerationParameters
        {
            MaxTokens = JsonFields.OptionalInt(root, "max_tokens", "max_tokens", 1, int.MaxValue),
            MaxCompletionTokens = JsonFields.OptionalInt(root, "max_completion_tokens", "max_completion_tokens", 1, int.MaxValue),
            N = JsonFields.OptionalInt(root, "n", "n", 1, 128),
            Temperature = JsonFields.OptionalNumber(root, "temperature", "temperature", 0, 2),
            TopP = JsonFields.OptionalNumber(root, "top_p", "top_p", 0, 1),
            Stream = JsonFields.OptionalBool(root, "stream", "stream") ?? false,
            StreamIncludeUsage = includeUsage,
            Logprobs = JsonFields.OptionalBool(root, "logprobs", "logprobs") ?? false,
            TopLogprobs = JsonFields.OptionalInt(root, "top_logprobs", "top_logprobs", 0, 20),
            LogitBias = logitBias,
        };
    }

    private static TokenUsage? ReadUsage(JsonElement body)
    {
        if (!body.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        static long Read(JsonElement usage, string name) =>
            usage.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : 0;

        return new TokenUsage(Read(usage, "prompt_tokens"), Read(usage, "completion_tokens"), Read(usage, "total_tokens"));
    }
}
