using System.Text.Json;

namespace DemoModel.OpenAi;

/// <summary>Writes <c>chat.completion</c> objects and <c>chat.completion.chunk</c> events.</summary>
internal static class ChatCompletionJson
{
    private const string SystemFingerprint = "fp_aiguard_demo";

    public static void WriteCompletion(Utf8JsonWriter writer, ChatCompletion completion)
    {
        writer.WriteStartObject();
        WriteHeader(writer, completion, "chat.completion");
        writer.WriteStartArray("choices");
        foreach (var choice in completion.Choices)
        {
            writer.WriteStartObject();
            writer.WriteNumber("index", choice.Index);
            writer.WriteStartObject("message");
            writer.WriteString("role", "assistant");
            writer.WriteString("content", choice.Content);
            writer.WriteNull("refusal");
            writer.WriteEndObject();
            WriteLogprobs(writer, completion, choice.Tokens, 0);
            writer.WriteString("finish_reason", choice.FinishReason);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        WriteUsage(writer, completion);
        writer.WriteEndObject();
    }

    public static void WriteRoleChunk(Utf8JsonWriter writer, ChatCompletion completion, ChatChoice choice)
    {
        StartChunk(writer, completion, choice);
        writer.WriteStartObject("delta");
        writer.WriteString("role", "assistant");
        writer.WriteString("content", string.Empty);
        writer.WriteNull("refusal");
        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteNull("finish_reason");
        EndChunk(writer, completion);
    }

    public static void WriteContentChunk(Utf8JsonWriter writer, ChatCompletion completion, ChatChoice choice, int tokenIndex)
    {
        StartChunk(writer, completion, choice);
        writer.WriteStartObject("delta");
        writer.WriteString("content", choice.Tokens[tokenIndex]);
        writer.WriteEndObject();
        WriteLogprobs(writer, completion, [choice.Tokens[tokenIndex]], tokenIndex);
        writer.WriteNull("finish_reason");
        EndChunk(writer, completion);
    }

    /// <summary>A content chunk of a fixed-size piece of the reply (the <c>x-demo-chunk-chars</c> switch); no logprobs.</summary>
    public static void WritePieceChunk(Utf8JsonWriter writer, ChatCompletion completion, ChatChoice choice, string piece)
    {
        StartChunk(writer, completion, choice);
        writer.WriteStartObject("delta");
        writer.WriteString("content", piece);
        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteNull("finish_reason");
        EndChunk(writer, completion);
    }

    public static void WriteFinishChunk(Utf8JsonWriter writer, ChatCompletion completion, ChatChoice choice)
    {
        StartChunk(writer, completion, choice);
        writer.WriteStartObject("delta");
        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteString("finish_reason", choice.FinishReason);
        EndChunk(writer, completion);
    }

    public static void WriteUsageChunk(Utf8JsonWriter writer, ChatCompletion completion)
    {
        writer.WriteStartObject();
        WriteHeader(writer, completion, "chat.completion.chunk");
        writer.WriteStartArray("choices");
        writer.WriteEndArray();
        WriteUsage(writer, completion);
        writer.WriteEndObject();
    }

    private static void StartChunk(Utf8JsonWriter writer, ChatCompletion completion, ChatChoice choice)
    {
        writer.WriteStartObject();
        WriteHeader(writer, completion, "chat.completion.chunk");
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", choice.Index);
    }

    private static void EndChunk(Utf8JsonWriter writer, ChatCompletion completion)
    {
        writer.WriteEndObject();
        writer.WriteEndArray();

        // OpenAI marks every chunk with "usage": null once the client asked for the usage chunk.
        if (completion.Request.IncludeUsage)
        {
            writer.WriteNull("usage");
        }

        writer.WriteEndObject();
    }

    private static void WriteHeader(Utf8JsonWriter writer, ChatCompletion completion, string objectType)
    {
        writer.WriteString("id", completion.Id);
        writer.WriteString("object", objectType);
        writer.WriteNumber("created", completion.Created);
        writer.WriteString("model", completion.Request.Model);
        writer.WriteString("system_fingerprint", SystemFingerprint);
    }

    private static void WriteLogprobs(Utf8JsonWriter writer, ChatCompletion completion, IReadOnlyList<string> tokens, int firstPosition)
    {
        if (!completion.Request.Logprobs)
        {
            writer.WriteNull("logprobs");
            return;
        }

        writer.WriteStartObject("logprobs");
        writer.WriteStartArray("content");
        for (var i = 0; i < tokens.Count; i++)
        {
            TokenLogprobs.WriteEntry(writer, tokens[i], firstPosition + i, completion.Request.TopLogprobs);
        }

        writer.WriteEndArray();
        writer.WriteNull("refusal");
        writer.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter writer, ChatCompletion completion)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", completion.PromptTokens);
        writer.WriteNumber("completion_tokens", completion.CompletionTokens);
        writer.WriteNumber("total_tokens", completion.TotalTokens);
        writer.WriteEndObject();
    }
}
