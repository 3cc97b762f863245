using System.Text;
using System.Text.Json;
using DemoModel.Http;

namespace DemoModel.OpenAi;

/// <summary>Validates a Chat Completions body the way the OpenAI API does and builds a <see cref="ChatRequest"/>.</summary>
internal static class ChatRequestParser
{
    public const int MaxChoices = 16;
    public const int MaxTopLogprobs = 20;

    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool"];

    public static ChatRequest Parse(JsonElement root)
    {
        var model = root.TryGetProperty("model", out var modelElement) && modelElement.ValueKind == JsonValueKind.String
            ? modelElement.GetString()!
            : throw DemoRequestException.BadRequest("you must provide a model parameter", "model");

        var messages = ParseMessages(root);
        var maxTokens = OptionalPositiveInt(root, "max_completion_tokens") ?? OptionalPositiveInt(root, "max_tokens");
        var n = OptionalPositiveInt(root, "n") ?? 1;
        if (n > MaxChoices)
        {
            throw DemoRequestException.BadRequest($"n must be at most {MaxChoices}.", "n");
        }

        ValidateTemperature(root);
        var stream = OptionalBool(root, "stream");
        var includeUsage = ParseStreamOptions(root, stream);
        var logprobs = OptionalBool(root, "logprobs");
        var topLogprobs = ParseTopLogprobs(root, logprobs);

        if (!ChatModelCatalog.Contains(model))
        {
            throw new DemoRequestException(
                StatusCodes.Status404NotFound,
                $"The model `{model}` does not exist or you do not have access to it.",
                "model",
                "model_not_found");
        }

        return new ChatRequest(model, messages, maxTokens, n, stream, includeUsage, logprobs, topLogprobs);
    }

    private static List<ChatMessage> ParseMessages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            throw DemoRequestException.BadRequest("Missing required parameter: 'messages'.", "messages");
        }

        if (array.GetArrayLength() == 0)
        {
            throw DemoRequestException.BadRequest("'messages' must contain at least one message.", "messages");
        }

        var messages = new List<ChatMessage>(array.GetArrayLength());
        var index = 0;
        foreach (var message in array.EnumerateArray())
        {
            messages.Add(ParseMessage(message, $"messages[{index}]"));
            index++;
        }

        return messages;
    }

    private static ChatMessage ParseMessage(JsonElement message, string param)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw DemoRequestException.BadRequest($"{param} must be an object.", param);
        }

        var role = message.TryGetProperty("role", out var roleElement) && roleElement.ValueKind == JsonValueKind.String
            ? roleElement.GetString()!
            : throw DemoRequestException.BadRequest($"Missing required parameter: '{param}.role'.", $"{param}.role");
        if (!Roles.Contains(role, StringComparer.Ordinal))
        {
            throw DemoRequestException.BadRequest(
                $"Invalid value: '{role}'. Supported values are: {string.Join(", ", Roles.Select(r => $"'{r}'"))}.",
                $"{param}.role");
        }

        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            // An assistant turn that only carries tool calls has no content.
            return role == "assistant"
                ? new ChatMessage(role, string.Empty)
                : throw DemoRequestException.BadRequest($"Missing required parameter: '{param}.content'.", $"{param}.content");
        }

        return new ChatMessage(role, ReadContent(content, $"{param}.content"));
    }

    private static string ReadContent(JsonElement content, string param)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw DemoRequestException.BadRequest($"{param} must be a string or an array of content parts.", param);
        }

        var text = new StringBuilder();
        var index = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partParam = $"{param}[{index}]";
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out var type)
                || type.ValueKind != JsonValueKind.String)
            {
                throw DemoRequestException.BadRequest($"{partParam} must be an object with a 'type'.", partParam);
            }

            // Non-text parts (images, audio) are accepted and ignored: the demo model only reads text.
            if (type.ValueEquals("text"))
            {
                if (!part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
                {
                    throw DemoRequestException.BadRequest($"Missing required parameter: '{partParam}.text'.", $"{partParam}.text");
                }

                if (text.Length > 0)
                {
                    text.Append('\n');
                }

                text.Append(partText.GetString());
            }

            index++;
        }

        return text.ToString();
    }

    private static int? OptionalPositiveInt(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out var value) && value >= 1
            ? value
            : throw DemoRequestException.BadRequest($"Invalid '{name}': expected an integer of at least 1.", name);
    }

    private static bool OptionalBool(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw DemoRequestException.BadRequest($"Invalid '{name}': expected a boolean.", name),
        };
    }

    private static void ValidateTemperature(JsonElement root)
    {
        if (root.TryGetProperty("temperature", out var element) && element.ValueKind != JsonValueKind.Null
            && (element.ValueKind != JsonValueKind.Number || element.GetDouble() is < 0 or > 2))
        {
            throw DemoRequestException.BadRequest("Invalid 'temperature': expected a number between 0 and 2.", "temperature");
        }
    }

    private static bool ParseStreamOptions(JsonElement root, bool stream)
    {
        if (!root.TryGetProperty("stream_options", out var options) || options.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (!stream)
        {
            throw DemoRequestException.BadRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options");
        }

        if (options.ValueKind != JsonValueKind.Object)
        {
            throw DemoRequestException.BadRequest("Invalid 'stream_options': expected an object.", "stream_options");
        }

        return OptionalBool(options, "include_usage");
    }

    private static int ParseTopLogprobs(JsonElement root, bool logprobs)
    {
        if (!root.TryGetProperty("top_logprobs", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return 0;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out var value) || value is < 0 or > MaxTopLogprobs)
        {
            throw DemoRequestException.BadRequest($"Invalid 'top_logprobs': expected an integer between 0 and {MaxTopLogprobs}.", "top_logprobs");
        }

        return logprobs
            ? value
            : throw DemoRequestException.BadRequest("'top_logprobs' requires 'logprobs' to be true.", "top_logprobs");
    }
}
