namespace AiGuard.Protocols;

/// <summary>The protocol-neutral view of one request that every guard reads.</summary>
public sealed class InferenceRequest
{
    /// <summary>The adapter that built this view (see <see cref="ProtocolNames"/>).</summary>
    public required string Protocol { get; init; }

    /// <summary>The operation, for example <c>chat.completions</c>, <c>infer</c> or <c>predict</c>.</summary>
    public required string Operation { get; init; }

    /// <summary>The model the request addresses (body <c>model</c> field or path), if any.</summary>
    public string? Model { get; init; }

    public string? ModelVersion { get; init; }

    /// <summary>Text and tensor inputs, in request order.</summary>
    public IReadOnlyList<InferenceInput> Inputs { get; init; } = [];

    /// <summary>Generation parameters of an LLM request; null for other protocols.</summary>
    public GenerationParameters? Generation { get; init; }

    /// <summary>The same request with other inputs (after a stage redacted them).</summary>
    public InferenceRequest WithInputs(IReadOnlyList<InferenceInput> inputs) => With(inputs, Generation);

    /// <summary>The same request with other generation parameters (after a stage changed them).</summary>
    public InferenceRequest WithGeneration(GenerationParameters generation) => With(Inputs, generation);

    private InferenceRequest With(IReadOnlyList<InferenceInput> inputs, GenerationParameters? generation) => new()
    {
        Protocol = Protocol,
        Operation = Operation,
        Model = Model,
        ModelVersion = ModelVersion,
        Inputs = inputs,
        Generation = generation,
    };
}

/// <summary>One input of a request: text or a numeric tensor.</summary>
public abstract record InferenceInput(string Field);

/// <summary>A piece of text the model will read: a chat message or a prompt.</summary>
/// <param name="Field">Where it came from in the body, for example <c>messages[2].content</c>.</param>
/// <param name="Role">
/// The chat role (<c>system</c>, <c>user</c>, ...), or <c>prompt</c>; <c>tool_definition</c> for a
/// tool's description and <c>prediction</c> for predicted output.
/// </param>
public sealed record TextInput(string Field, string Role, string Text) : InferenceInput(Field)
{
    /// <summary>What kind of text it is: a message's content, or text the model reads beside the messages.</summary>
    public TextKind Kind { get; init; } = TextKind.Message;
}

/// <summary>Where a <see cref="TextInput"/> sits in a chat request.</summary>
public enum TextKind
{
    /// <summary>A message's content or one of its text (or refusal) parts.</summary>
    Message,

    /// <summary>The arguments of a tool call in an earlier assistant turn.</summary>
    ToolCallArguments,

    /// <summary>A tool's description the model reads to decide on calls (<c>tools[i].function.description</c>).</summary>
    ToolDefinition,

    /// <summary>Predicted output (<c>prediction.content</c>).</summary>
    Prediction,
}

/// <summary>A tensor: shape, element type and its values flattened in row-major order.</summary>
/// <param name="Field">Where it came from in the body, for example <c>inputs[0]</c>.</param>
/// <param name="DataType">Open Inference Protocol datatype name (<c>FP32</c>, <c>INT64</c>, <c>BYTES</c>...).</param>
/// <param name="Values">Numeric values (booleans as 0/1); empty for <c>BYTES</c>.</param>
/// <param name="Strings">String values of a <c>BYTES</c> tensor; empty otherwise.</param>
public sealed record TensorInput(
    string Field,
    string Name,
    IReadOnlyList<long> Shape,
    string DataType,
    double[] Values,
    string[] Strings) : InferenceInput(Field)
{
    /// <summary>The number of elements the shape promises.</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (var dim in Shape)
            {
                count *= dim;
            }

            return count;
        }
    }
}

/// <summary>The generation parameters of an LLM request, as the client sent them.</summary>
public sealed record GenerationParameters
{
    public int? MaxTokens { get; init; }

    public int? MaxCompletionTokens { get; init; }

    public int? N { get; init; }

    public double? Temperature { get; init; }

    public double? TopP { get; init; }

    public bool Stream { get; init; }

    public bool StreamIncludeUsage { get; init; }

    public bool Logprobs { get; init; }

    public int? TopLogprobs { get; init; }

    /// <summary>Token id (as a string) to bias, as sent in <c>logit_bias</c>.</summary>
    public IReadOnlyDictionary<string, double>? LogitBias { get; init; }

    /// <summary>The tool-calling members the request sent (not null).</summary>
    public ToolMembers Tools { get; init; }
}

/// <summary>The members of an OpenAI chat request that offer the model tools or functions.</summary>
[Flags]
public enum ToolMembers
{
    None = 0,
    Tools = 1,
    ToolChoice = 2,
    ParallelToolCalls = 4,
    Functions = 8,
    FunctionCall = 16,
}
