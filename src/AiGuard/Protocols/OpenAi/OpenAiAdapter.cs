using System.Globalization;
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

    private static readonly ProtocolOperation ChatOperation = new(ChatCompletions, HasBody: true, HasInferenceResponse: true);
    private static readonly ProtocolOperation ListOperation = new(ModelsList, HasBody: false);

    public string Name => ProtocolNames.OpenAi;

    public ProtocolOperation? Match(string method, string path)
    {
        var trimmed = path.AsSpan().TrimEnd('/');
        if (HttpMethods.IsPost(method) && trimmed.SequenceEqual("/v1/chat/completions"))
        {
            return ChatOperation;
        }

        if (HttpMethods.IsGet(method) && trimmed.SequenceEqual("/v1/models"))
        {
            return ListOperation;
        }

        const string modelPrefix = "/v1/models/";
        if (HttpMethods.IsGet(method) && trimmed.StartsWith(modelPrefix, StringComparison.Ordinal) && trimmed.Length > modelPrefix.Length)
        {
            return new ProtocolOperation(ModelsRetrieve, HasBody: false, ModelFromPath: trimmed[modelPrefix.Length..].ToString());
        }

        return null;
    }

    public InferenceRequest ParseRequest(ProtocolOperation operation, ReadOnlySpan<byte> body, JsonReadLimits limits)
    {
        if (operation.Name != ChatCompletions)
        {
            return new InferenceRequest { Protocol = Name, Operation = operation.Name, Model = operation.ModelFromPath };
        }

        var request = new ChatRequestReader();
        try
        {
            var reader = new JsonBodyReader(body, limits);
            reader.ReadRootObject();
            request.Read(ref reader);
            reader.ReadEnd();
            return request.Build(Name, operation.Name);
        }
        catch (ProtocolViolationException ex)
        {
            ex.Model ??= request.Model;
            throw;
        }
    }

    public InferenceResponse ParseResponse(ProtocolOperation operation, ReadOnlySpan<byte> body)
    {
        var reader = new JsonBodyReader(body, JsonReadLimits.Upstream);
        reader.ReadRootObject();
        var names = default(PropertyNames);
        string? model = null;
        var isChunk = false;
        var texts = new List<GeneratedText>(1);
        List<GeneratedText>? calls = null;
        TokenUsage? usage = null;
        while (reader.NextProperty(ref names, string.Empty, out var name))
        {
            if (name.SequenceEqual("object"u8) && reader.TokenType == JsonTokenType.String)
            {
                isChunk = reader.ValueTextEquals("chat.completion.chunk");
            }
            else if (name.SequenceEqual("model"u8) && reader.TokenType == JsonTokenType.String)
            {
                model = reader.GetString("model");
            }
            else if (name.SequenceEqual("choices"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                ReadChoices(ref reader, texts, ref calls);
            }
            else if (name.SequenceEqual("usage"u8) && reader.TokenType == JsonTokenType.StartObject)
            {
                usage = ReadUsage(ref reader);
            }
            else
            {
                reader.SkipValue();
            }
        }

        reader.ReadEnd();
        return new InferenceResponse
        {
            Protocol = Name,
            Model = model,
            Texts = texts,
            ToolCallArguments = calls ?? [],
            Usage = usage,
            IsStreamChunk = isChunk,
        };
    }

    private static void ReadChoices(ref JsonBodyReader reader, List<GeneratedText> texts, ref List<GeneratedText>? calls)
    {
        reader.Next();
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.SkipValue();
                reader.Next();
                continue;
            }

            var names = default(PropertyNames);
            var index = texts.Count;
            var text = string.Empty;
            JsonSegment? content = null;
            MessageEnd? end = null;
            JsonSegment? logprobs = null;
            string? finish = null;
            var hasLogprobs = false;
            List<CallArguments>? arguments = null;
            ToolCallsEnd? toolCalls = null;
            OtherCallMembers others = default;
            while (reader.NextProperty(ref names, "choices", out var name))
            {
                if (name.SequenceEqual("index"u8) && reader.TokenType == JsonTokenType.Number)
                {
                    index = reader.GetInt32("choices.index", 0, int.MaxValue);
                }
                else if ((name.SequenceEqual("message"u8) || name.SequenceEqual("delta"u8)) && reader.TokenType == JsonTokenType.StartObject)
                {
                    (text, content, end, toolCalls, others) = ReadMessageContent(ref reader, ref arguments);
                }
                else if (name.SequenceEqual("finish_reason"u8) && reader.TokenType == JsonTokenType.String)
                {
                    finish = reader.GetString("choices.finish_reason");
                }
                else if (name.SequenceEqual("logprobs"u8))
                {
                    hasLogprobs = reader.TokenType == JsonTokenType.StartObject;
                    var start = reader.TokenStart;
                    reader.SkipValue();
                    logprobs = hasLogprobs ? new JsonSegment(start, reader.BytesConsumed, 0) : null;
                }
                else
                {
                    reader.SkipValue();
                }
            }

            texts.Add(new GeneratedText(index, text, finish, hasLogprobs, content)
            {
                MessageEnd = end,
                Logprobs = logprobs,
                ToolCallsEnd = toolCalls,
                ToolCallsValue = others.ToolCalls,
                FunctionCallValue = others.FunctionCall,
                FunctionCallEnd = others.FunctionCallEnd,
            });
            foreach (var call in arguments ?? [])
            {
                (calls ??= []).Add(new GeneratedText(index, call.Text, null, false, call.Segment) { Member = call.Member, Call = call.Call, HasCallIndex = call.HasIndex });
            }

            reader.Next();
        }
    }

    /// <summary>The message's (or delta's) content string; where a stage could write one when it has none; its tool calls' argument strings.</summary>
    private static (string Text, JsonSegment? Content, MessageEnd End, ToolCallsEnd? ToolCalls, OtherCallMembers Others) ReadMessageContent(ref JsonBodyReader reader, ref List<CallArguments>? arguments)
    {
        ToolCallsEnd? toolCalls = null;
        var others = default(OtherCallMembers);
        var names = default(PropertyNames);
        var text = string.Empty;
        JsonSegment? content = null;
        var members = 0;
        while (reader.NextProperty(ref names, "choices.message", out var name))
        {
            members++;
            if (name.SequenceEqual("content"u8) && reader.TokenType == JsonTokenType.String)
            {
                content = new JsonSegment(reader.TokenStart, reader.BytesConsumed, 0);
                text = reader.GetString("choices.message.content");
            }
            else if (name.SequenceEqual("content"u8) && reader.TokenType == JsonTokenType.Null)
            {
                // A delta that carries no text yet (a role or tool-call chunk): a written text replaces the null.
                content = new JsonSegment(reader.TokenStart, reader.BytesConsumed, 0);
            }
            else if (name.SequenceEqual("tool_calls"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                var position = 0;
                reader.Next();
                while (reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ReadToolCall(ref reader, position, ref arguments);
                    }
                    else
                    {
                        reader.SkipValue();
                    }

                    position++;
                    reader.Next();
                }

                toolCalls = new ToolCallsEnd(reader.TokenStart, position > 0);
            }
            else if (name.SequenceEqual("function_call"u8) && reader.TokenType == JsonTokenType.StartObject)
            {
                others.FunctionCallEnd = ReadFunctionCall(ref reader, ref arguments);
            }
            else if (name.SequenceEqual("tool_calls"u8) || name.SequenceEqual("function_call"u8))
            {
                // null (or another shape): where added calls replace it, so no name is written twice.
                var start = reader.TokenStart;
                reader.SkipValue();
                var value = new JsonSegment(start, reader.BytesConsumed, 0);
                if (name.SequenceEqual("tool_calls"u8))
                {
                    others.ToolCalls = value;
                }
                else
                {
                    others.FunctionCall = value;
                }
            }
            else
            {
                reader.SkipValue();
            }
        }

        // The reader stands on the object's closing brace.
        return (text, content, new MessageEnd(reader.TokenStart, members > 0), toolCalls, others);
    }

    /// <summary>
    /// One element of <c>tool_calls</c>: its <c>function.arguments</c> string, named by the call's
    /// <c>index</c> member when it has one (a stream's pieces of one call share it), else by its
    /// position in the array.
    /// </summary>
    private static void ReadToolCall(ref JsonBodyReader reader, int position, ref List<CallArguments>? arguments)
    {
        var names = default(PropertyNames);
        int? index = null;
        (string Text, JsonSegment Segment)? found = null;
        while (reader.NextProperty(ref names, "choices.message.tool_calls", out var name))
        {
            if (name.SequenceEqual("index"u8) && reader.TokenType == JsonTokenType.Number)
            {
                index = reader.GetInt32("choices.message.tool_calls.index", 0, int.MaxValue);
            }
            else if (name.SequenceEqual("function"u8) && reader.TokenType == JsonTokenType.StartObject)
            {
                var functionNames = default(PropertyNames);
                while (reader.NextProperty(ref functionNames, "choices.message.tool_calls.function", out var member))
                {
                    if (member.SequenceEqual("arguments"u8) && reader.TokenType == JsonTokenType.String)
                    {
                        found = (reader.GetString("choices.message.tool_calls.function.arguments"), new JsonSegment(reader.TokenStart, reader.BytesConsumed, 0));
                    }
                    else
                    {
                        reader.SkipValue();
                    }
                }
            }
            else
            {
                reader.SkipValue();
            }
        }

        if (found is { } call)
        {
            var at = index ?? position;
            (arguments ??= []).Add(new CallArguments(GeneratedText.CallMember(at), at, call.Text, call.Segment, index is not null));
        }
    }

    /// <summary>A legacy <c>function_call</c>'s <c>arguments</c> string; the object's closing brace when it has none.</summary>
    private static MessageEnd? ReadFunctionCall(ref JsonBodyReader reader, ref List<CallArguments>? arguments)
    {
        var names = default(PropertyNames);
        var members = 0;
        var found = false;
        while (reader.NextProperty(ref names, "choices.message.function_call", out var name))
        {
            members++;
            if (name.SequenceEqual("arguments"u8) && reader.TokenType == JsonTokenType.String)
            {
                found = true;
                (arguments ??= []).Add(new CallArguments(GeneratedText.CallMember(-1), -1, reader.GetString("choices.message.function_call.arguments"), new JsonSegment(reader.TokenStart, reader.BytesConsumed, 0)));
            }
            else
            {
                found |= name.SequenceEqual("arguments"u8);
                reader.SkipValue();
            }
        }

        // The reader stands on the object's closing brace.
        return found ? null : new MessageEnd(reader.TokenStart, members > 0);
    }

    private readonly record struct CallArguments(string Member, int Call, string Text, JsonSegment Segment, bool HasIndex = true);

    /// <summary>A message's <c>tool_calls</c> or <c>function_call</c> member of another shape than expected (<c>null</c>).</summary>
    private struct OtherCallMembers
    {
        public JsonSegment? ToolCalls;
        public JsonSegment? FunctionCall;
        public MessageEnd? FunctionCallEnd;
    }

    private static TokenUsage ReadUsage(ref JsonBodyReader reader)
    {
        var names = default(PropertyNames);
        long prompt = 0, completion = 0, total = 0;
        while (reader.NextProperty(ref names, "usage", out var name))
        {
            if (reader.TokenType != JsonTokenType.Number)
            {
                reader.SkipValue();
            }
            else if (name.SequenceEqual("prompt_tokens"u8))
            {
                prompt = reader.GetInt64("usage.prompt_tokens");
            }
            else if (name.SequenceEqual("completion_tokens"u8))
            {
                completion = reader.GetInt64("usage.completion_tokens");
            }
            else if (name.SequenceEqual("total_tokens"u8))
            {
                total = reader.GetInt64("usage.total_tokens");
            }
        }

        return new TokenUsage(prompt, completion, total);
    }
}
