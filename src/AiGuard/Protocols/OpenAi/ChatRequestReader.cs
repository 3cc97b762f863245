using System.Text.Json;
using AiGuard.Protocols.Json;

namespace AiGuard.Protocols.OpenAi;

/// <summary>Reads the body of a chat completion request into the normalized view in one pass.</summary>
internal sealed class ChatRequestReader
{
    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "developer", "user", "assistant", "tool", "function" };

    /// <summary>The role as one of the shared role strings (no string per message), or null when it is another value.</summary>
    private static string? KnownRole(ref JsonBodyReader reader) =>
        reader.TokenType != JsonTokenType.String ? null
        : reader.ValueTextEquals("user") ? "user"
        : reader.ValueTextEquals("assistant") ? "assistant"
        : reader.ValueTextEquals("system") ? "system"
        : reader.ValueTextEquals("tool") ? "tool"
        : reader.ValueTextEquals("developer") ? "developer"
        : null;

    private readonly List<InferenceInput> _inputs = new(4);
    private string? _model;
    private bool _sawModel;
    private bool _sawMessages;
    private int? _maxTokens;
    private int? _maxCompletionTokens;
    private int? _n;
    private double? _temperature;
    private double? _topP;
    private bool _stream;
    private bool _includeUsage;
    private bool _logprobs;
    private int? _topLogprobs;
    private Dictionary<string, double>? _logitBias;
    private ToolMembers _tools;

    /// <summary>The model read so far; null until the body has named one.</summary>
    public string? Model => _model;

    public void Read(ref JsonBodyReader reader)
    {
        var names = default(PropertyNames);
        while (reader.NextProperty(ref names, string.Empty, out var name))
        {
            if (name.SequenceEqual("model"u8))
            {
                _sawModel = true;
                _model = reader.TokenType == JsonTokenType.Null ? null : reader.GetString("model");
            }
            else if (name.SequenceEqual("messages"u8))
            {
                _sawMessages = reader.TokenType != JsonTokenType.Null;
                if (_sawMessages)
                {
                    ReadMessages(ref reader);
                }
            }
            else if (reader.TokenType == JsonTokenType.Null)
            {
                // Optional parameters may be sent as null, which means "not set".
            }
            else if (name.SequenceEqual("max_tokens"u8))
            {
                _maxTokens = reader.GetInt32("max_tokens", 1, int.MaxValue);
            }
            else if (name.SequenceEqual("max_completion_tokens"u8))
            {
                _maxCompletionTokens = reader.GetInt32("max_completion_tokens", 1, int.MaxValue);
            }
            else if (name.SequenceEqual("n"u8))
            {
                _n = reader.GetInt32("n", 1, 128);
            }
            else if (name.SequenceEqual("temperature"u8))
            {
                _temperature = reader.GetNumber("temperature", 0, 2);
            }
            else if (name.SequenceEqual("top_p"u8))
            {
                _topP = reader.GetNumber("top_p", 0, 1);
            }
            else if (name.SequenceEqual("stream"u8))
            {
                _stream = reader.GetBoolean("stream");
            }
            else if (name.SequenceEqual("stream_options"u8))
            {
                ReadStreamOptions(ref reader);
            }
            else if (name.SequenceEqual("logprobs"u8))
            {
                _logprobs = reader.GetBoolean("logprobs");
            }
            else if (name.SequenceEqual("top_logprobs"u8))
            {
                _topLogprobs = reader.GetInt32("top_logprobs", 0, 20);
            }
            else if (name.SequenceEqual("logit_bias"u8))
            {
                ReadLogitBias(ref reader);
            }
            else if (ToolMember(name) is var tool && tool != ToolMembers.None)
            {
                if (reader.TokenType != JsonTokenType.Null)
                {
                    _tools |= tool;
                }

                if (tool is ToolMembers.Tools or ToolMembers.Functions && reader.TokenType == JsonTokenType.StartArray)
                {
                    ReadToolDescriptions(ref reader, tool == ToolMembers.Tools ? "tools" : "functions");
                }
                else
                {
                    reader.SkipValue();
                }
            }
            else if (name.SequenceEqual("prediction"u8) && reader.TokenType == JsonTokenType.StartObject)
            {
                ReadPrediction(ref reader);
            }
            else
            {
                reader.SkipValue();
            }
        }
    }

    private static ToolMembers ToolMember(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("tools"u8) ? ToolMembers.Tools
        : name.SequenceEqual("tool_choice"u8) ? ToolMembers.ToolChoice
        : name.SequenceEqual("parallel_tool_calls"u8) ? ToolMembers.ParallelToolCalls
        : name.SequenceEqual("functions"u8) ? ToolMembers.Functions
        : name.SequenceEqual("function_call"u8) ? ToolMembers.FunctionCall
        : ToolMembers.None;

    public InferenceRequest Build(string protocol, string operation)
    {
        if (!_sawModel || _model is null)
        {
            throw new ProtocolViolationException("model", "'model' is required.");
        }

        if (string.IsNullOrWhiteSpace(_model))
        {
            throw new ProtocolViolationException("model", "'model' must not be empty.");
        }

        if (!_sawMessages)
        {
            throw new ProtocolViolationException("messages", "'messages' is required.");
        }

        return new InferenceRequest
        {
            Protocol = protocol,
            Operation = operation,
            Model = _model,
            Inputs = _inputs,
            Generation = new GenerationParameters
            {
                MaxTokens = _maxTokens,
                MaxCompletionTokens = _maxCompletionTokens,
                N = _n,
                Temperature = _temperature,
                TopP = _topP,
                Stream = _stream,
                StreamIncludeUsage = _includeUsage,
                Logprobs = _logprobs,
                TopLogprobs = _topLogprobs,
                LogitBias = _logitBias,
                Tools = _tools,
            },
        };
    }

    private void ReadMessages(ref JsonBodyReader reader)
    {
        reader.Expect(JsonTokenType.StartArray, "messages");
        var index = 0;
        reader.Next();
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            ReadMessage(ref reader, index++);
            reader.Next();
        }

        if (index == 0)
        {
            throw new ProtocolViolationException("messages", "'messages' must contain at least one message.");
        }
    }

    private void ReadMessage(ref JsonBodyReader reader, int index)
    {
        var field = FieldNames.Message(index);
        reader.Expect(JsonTokenType.StartObject, field);
        var names = default(PropertyNames);
        string? role = null;
        string? text = null;
        List<(string Field, string Text)>? parts = null;
        List<(string Field, string Text)>? calls = null;
        var hasContent = false;
        var callsTools = false;
        while (reader.NextProperty(ref names, field, out var name))
        {
            if (name.SequenceEqual("role"u8))
            {
                role = reader.TokenType == JsonTokenType.Null ? null : KnownRole(ref reader) ?? reader.GetString(FieldNames.MessageRole(index));
            }
            else if (name.SequenceEqual("content"u8))
            {
                var contentField = FieldNames.MessageContent(index);
                switch (reader.TokenType)
                {
                    case JsonTokenType.Null:
                        break;
                    case JsonTokenType.String:
                        hasContent = true;
                        text = reader.GetString(contentField);
                        break;
                    case JsonTokenType.StartArray:
                        hasContent = true;
                        parts = ReadParts(ref reader, contentField);
                        break;
                    default:
                        throw new ProtocolViolationException(contentField, $"'{contentField}' must be a string or an array of content parts, not {reader.Describe()}.");
                }
            }
            else if (name.SequenceEqual("tool_calls"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                callsTools = true;
                calls = ReadToolCalls(ref reader, field + ".tool_calls");
            }
            else if (name.SequenceEqual("function_call"u8) && reader.TokenType == JsonTokenType.StartObject)
            {
                callsTools = true;
                calls = ReadFunction(ref reader, field + ".function_call") is { } call ? [call] : null;
            }
            else if (name.SequenceEqual("tool_calls"u8) || name.SequenceEqual("function_call"u8))
            {
                callsTools |= reader.TokenType != JsonTokenType.Null;
                reader.SkipValue();
            }
            else
            {
                reader.SkipValue();
            }
        }

        if (role is null)
        {
            throw new ProtocolViolationException(FieldNames.MessageRole(index), $"'{field}.role' is required.");
        }

        if (!Roles.Contains(role))
        {
            throw new ProtocolViolationException(FieldNames.MessageRole(index), $"'{field}.role' must be one of system, developer, user, assistant, tool, function.");
        }

        foreach (var (callField, arguments) in calls ?? [])
        {
            // The model reads the arguments of its earlier calls again: text like any other.
            _inputs.Add(new TextInput(callField, role, arguments) { Kind = TextKind.ToolCallArguments });
        }

        if (!hasContent)
        {
            // Only an assistant turn that calls tools may omit its content.
            if (role == "assistant" && callsTools)
            {
                return;
            }

            throw new ProtocolViolationException(FieldNames.MessageContent(index), $"'{FieldNames.MessageContent(index)}' is required.");
        }

        if (text is not null)
        {
            _inputs.Add(new TextInput(FieldNames.MessageContent(index), role, text));
        }

        foreach (var (partField, partText) in parts ?? [])
        {
            _inputs.Add(new TextInput(partField, role, partText));
        }
    }

    /// <summary>The <c>function.arguments</c> strings of an assistant turn's tool calls.</summary>
    private static List<(string Field, string Text)> ReadToolCalls(ref JsonBodyReader reader, string field)
    {
        var calls = new List<(string, string)>(1);
        var index = 0;
        reader.Next();
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            var callField = FieldNames.Index(field, index++);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.SkipValue();
                reader.Next();
                continue;
            }

            var names = default(PropertyNames);
            while (reader.NextProperty(ref names, callField, out var name))
            {
                if (name.SequenceEqual("function"u8) && reader.TokenType == JsonTokenType.StartObject && ReadFunction(ref reader, callField + ".function") is { } call)
                {
                    calls.Add(call);
                }
                else if (!name.SequenceEqual("function"u8) || reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.SkipValue();
                }
            }

            reader.Next();
        }

        return calls;
    }

    /// <summary>A function call object's <c>arguments</c> string, if it has one.</summary>
    private static (string Field, string Text)? ReadFunction(ref JsonBodyReader reader, string field)
    {
        (string, string)? call = null;
        var names = default(PropertyNames);
        while (reader.NextProperty(ref names, field, out var name))
        {
            if (name.SequenceEqual("arguments"u8) && reader.TokenType == JsonTokenType.String)
            {
                call = (field + ".arguments", reader.GetString(field + ".arguments"));
            }
            else
            {
                reader.SkipValue();
            }
        }

        return call;
    }

    /// <summary>The descriptions of the tools (or legacy functions) the model may call.</summary>
    private void ReadToolDescriptions(ref JsonBodyReader reader, string field)
    {
        var index = 0;
        reader.Next();
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            var toolField = FieldNames.Index(field, index++);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.SkipValue();
                reader.Next();
                continue;
            }

            // tools[i] = {type, function: {name, description, parameters}}; functions[i] = {name, description, parameters}.
            ReadDescription(ref reader, toolField, nested: field == "tools");
            reader.Next();
        }
    }

    private void ReadDescription(ref JsonBodyReader reader, string field, bool nested)
    {
        var names = default(PropertyNames);
        while (reader.NextProperty(ref names, field, out var name))
        {
            if (nested && name.SequenceEqual("function"u8) && reader.TokenType == JsonTokenType.StartObject)
            {
                ReadDescription(ref reader, field + ".function", nested: false);
            }
            else if (!nested && name.SequenceEqual("description"u8) && reader.TokenType == JsonTokenType.String)
            {
                var descriptionField = field + ".description";
                _inputs.Add(new TextInput(descriptionField, "tool_definition", reader.GetString(descriptionField)) { Kind = TextKind.ToolDefinition });
            }
            else if (!nested && name.SequenceEqual("parameters"u8) && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                ReadSchemaTexts(ref reader, field + ".parameters");
            }
            else
            {
                reader.SkipValue();
            }
        }
    }

    /// <summary>Description and title strings all tools' parameter schemas of one request may hold.</summary>
    public const int MaxSchemaTexts = 1024;

    /// <summary>Characters of a schema text's field path (its property names together).</summary>
    public const int MaxSchemaPathChars = 2048;

    private int _schemaTexts;

    /// <summary>
    /// The <c>description</c> and <c>title</c> strings anywhere in a tool's parameter schema (the
    /// model reads them as it reads the tool's own description, and tool poisoning hides
    /// instructions in them). The reader stands on the schema's first token; every object inside
    /// refuses a repeated name, so the gateway and the model read the same schema. The path of a
    /// nested value is kept as steps and spelt out only for a text found, and both the number of
    /// texts and the length of a path are bounded, so a body cannot make the paths cost more
    /// memory than it has bytes.
    /// </summary>
    private void ReadSchemaTexts(ref JsonBodyReader reader, string field)
    {
        var steps = new List<(string? Name, int Index)>();
        ReadSchemaValue(ref reader, field, steps, 0, SchemaPart.Schema);
    }

    /// <summary>What the members of a schema object are.</summary>
    private enum SchemaPart
    {
        /// <summary>Keywords (<c>type</c>, <c>description</c>, <c>properties</c>, <c>items</c>...).</summary>
        Schema,

        /// <summary>Property names, each naming a schema (the value of <c>properties</c>, <c>$defs</c>...).</summary>
        NameMap,
    }

    private void ReadSchemaValue(ref JsonBodyReader reader, string field, List<(string? Name, int Index)> steps, int pathChars, SchemaPart part)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            // anyOf, allOf, oneOf, prefixItems...: an array of schemas (strings in it, as in required, are not texts).
            var index = 0;
            reader.Next();
            while (reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    steps.Add((null, index));
                    ReadSchemaValue(ref reader, field, steps, pathChars + 8, SchemaPart.Schema);
                    steps.RemoveAt(steps.Count - 1);
                }

                index++;
                reader.Next();
            }

            return;
        }

        var names = default(PropertyNames);
        while (reader.NextProperty(ref names, field, out var name))
        {
            var nested = reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray;
            var text = part == SchemaPart.Schema && (name.SequenceEqual("description"u8) || name.SequenceEqual("title"u8));
            if (part == SchemaPart.Schema && !text && (!nested || IsData(name)))
            {
                // Scalars, and the values a schema gives as data (enum, default, examples, const).
                reader.SkipValue();
                continue;
            }

            if (part == SchemaPart.NameMap && !nested)
            {
                continue;
            }

            var step = System.Text.Encoding.UTF8.GetString(name);
            var stepChars = FieldNames.Member(string.Empty, name).Length + 4;
            if (pathChars + stepChars > MaxSchemaPathChars)
            {
                throw new ProtocolViolationException(field, $"'{field}' nests property names longer than {MaxSchemaPathChars} characters in all; AiGuard does not forward a tool schema it cannot name every text of.");
            }

            steps.Add((step, 0));
            if (text && reader.TokenType == JsonTokenType.String)
            {
                if (++_schemaTexts > MaxSchemaTexts)
                {
                    throw new ProtocolViolationException(field, $"The tools' parameter schemas hold more than {MaxSchemaTexts} description and title strings, more than AiGuard inspects in one request.");
                }

                var textField = SchemaPath(field, steps);
                _inputs.Add(new TextInput(textField, "tool_definition", reader.GetString(textField)) { Kind = TextKind.ToolDefinition });
            }
            else if (text && nested)
            {
                var path = SchemaPath(field, steps);
                throw new ProtocolViolationException(path, $"'{path}' must be a string: a description or title the model reads is inspected, and one of another shape cannot be.");
            }
            else if (!text)
            {
                // A keyword whose members are property names, or a schema (under a keyword, or named in a name map).
                var inner = part == SchemaPart.Schema && IsNameMap(name) && reader.TokenType == JsonTokenType.StartObject ? SchemaPart.NameMap : SchemaPart.Schema;
                ReadSchemaValue(ref reader, field, steps, pathChars + stepChars, inner);
            }

            steps.RemoveAt(steps.Count - 1);
        }
    }

    /// <summary>Keywords whose object maps property names to schemas.</summary>
    private static bool IsNameMap(ReadOnlySpan<byte> keyword) =>
        keyword.SequenceEqual("properties"u8) || keyword.SequenceEqual("patternProperties"u8) || keyword.SequenceEqual("$defs"u8)
        || keyword.SequenceEqual("definitions"u8) || keyword.SequenceEqual("dependentSchemas"u8) || keyword.SequenceEqual("dependencies"u8);

    /// <summary>Keywords whose value is data the schema describes, not a schema (not read for texts).</summary>
    private static bool IsData(ReadOnlySpan<byte> keyword) =>
        keyword.SequenceEqual("enum"u8) || keyword.SequenceEqual("const"u8) || keyword.SequenceEqual("default"u8)
        || keyword.SequenceEqual("examples"u8) || keyword.SequenceEqual("example"u8);

    /// <summary>A text's field path, spelt out once (one builder, no string per level).</summary>
    private static string SchemaPath(string field, List<(string? Name, int Index)> steps)
    {
        var path = new System.Text.StringBuilder(field, field.Length + (steps.Count * 16));
        foreach (var (name, index) in steps)
        {
            if (name is null)
            {
                path.Append('[').Append(index.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(']');
            }
            else
            {
                path.Append(FieldNames.Member(".", System.Text.Encoding.UTF8.GetBytes(name)).AsSpan(1));
            }
        }

        return path.ToString();
    }

    /// <summary>Predicted output (<c>prediction: {type: content, content}</c>): a string or text parts.</summary>
    private void ReadPrediction(ref JsonBodyReader reader)
    {
        var names = default(PropertyNames);
        while (reader.NextProperty(ref names, "prediction", out var name))
        {
            if (name.SequenceEqual("content"u8) && reader.TokenType == JsonTokenType.String)
            {
                _inputs.Add(new TextInput("prediction.content", "prediction", reader.GetString("prediction.content")) { Kind = TextKind.Prediction });
            }
            else if (name.SequenceEqual("content"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                foreach (var (partField, partText) in ReadParts(ref reader, "prediction.content"))
                {
                    _inputs.Add(new TextInput(partField, "prediction", partText) { Kind = TextKind.Prediction });
                }
            }
            else
            {
                reader.SkipValue();
            }
        }
    }

    private static List<(string Field, string Text)> ReadParts(ref JsonBodyReader reader, string contentField)
    {
        var parts = new List<(string, string)>(2);
        var index = 0;
        reader.Next();
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            var partField = FieldNames.Index(contentField, index);
            reader.Expect(JsonTokenType.StartObject, partField);
            var names = default(PropertyNames);
            string? type = null;
            string? text = null;
            string? refusal = null;
            while (reader.NextProperty(ref names, partField, out var name))
            {
                if (name.SequenceEqual("type"u8))
                {
                    type = reader.GetString(partField + ".type");
                }
                else if (name.SequenceEqual("text"u8) && reader.TokenType != JsonTokenType.Null)
                {
                    text = reader.GetString(partField + ".text");
                }
                else if (name.SequenceEqual("refusal"u8) && reader.TokenType == JsonTokenType.String)
                {
                    refusal = reader.GetString(partField + ".refusal");
                }
                else
                {
                    reader.SkipValue();
                }
            }

            switch (type)
            {
                case null:
                    throw new ProtocolViolationException(partField + ".type", $"'{partField}.type' is required.");
                case "text":
                    parts.Add((partField + ".text", text ?? throw new ProtocolViolationException(partField + ".text", $"'{partField}.text' is required.")));
                    break;
                case "refusal":
                    if (refusal is not null)
                    {
                        parts.Add((partField + ".refusal", refusal));
                    }

                    break;
                case "image_url" or "input_audio" or "file":
                    break;
                default:
                    throw new ProtocolViolationException(partField + ".type", $"'{partField}.type' '{Pipeline.Excerpt.Scrubbed(type)}' is not a known content part type.");
            }

            index++;
            reader.Next();
        }

        return parts;
    }

    private void ReadStreamOptions(ref JsonBodyReader reader)
    {
        reader.Expect(JsonTokenType.StartObject, "stream_options");
        var names = default(PropertyNames);
        while (reader.NextProperty(ref names, "stream_options", out var name))
        {
            if (name.SequenceEqual("include_usage"u8) && reader.TokenType != JsonTokenType.Null)
            {
                _includeUsage = reader.GetBoolean("stream_options.include_usage");
            }
            else
            {
                reader.SkipValue();
            }
        }
    }

    private void ReadLogitBias(ref JsonBodyReader reader)
    {
        reader.Expect(JsonTokenType.StartObject, "logit_bias");
        var names = default(PropertyNames);
        _logitBias = new Dictionary<string, double>(StringComparer.Ordinal);
        while (reader.NextProperty(ref names, "logit_bias", out var name))
        {
            var token = System.Text.Encoding.UTF8.GetString(name);
            var field = "logit_bias." + Pipeline.Excerpt.Scrubbed(token, 32);
            if (reader.TokenType != JsonTokenType.Number)
            {
                throw new ProtocolViolationException(field, $"'{field}' must be a number between -100 and 100.");
            }

            _logitBias[token] = reader.GetNumber(field, -100, 100);
        }
    }
}
