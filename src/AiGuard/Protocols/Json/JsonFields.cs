using System.Text.Json;

namespace AiGuard.Protocols.Json;

/// <summary>Typed reads of JSON properties that fail with the field's path and what was wrong.</summary>
internal static class JsonFields
{
    public static JsonElement RequireObject(JsonElement element, string field)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ProtocolViolationException(field, $"'{Display(field)}' must be a JSON object, not {Describe(element)}.");
        }

        return element;
    }

    public static JsonElement Require(JsonElement parent, string name, string field)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new ProtocolViolationException(field, $"'{field}' is required.");
        }

        return value;
    }

    public static JsonElement? Optional(JsonElement parent, string name)
    {
        return parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
    }

    public static string RequireString(JsonElement parent, string name, string field)
    {
        var value = Require(parent, name, field);
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new ProtocolViolationException(field, $"'{field}' must be a string, not {Describe(value)}.");
        }

        return value.GetString()!;
    }

    public static string? OptionalString(JsonElement parent, string name, string field)
    {
        var value = Optional(parent, name);
        if (value is null)
        {
            return null;
        }

        if (value.Value.ValueKind != JsonValueKind.String)
        {
            throw new ProtocolViolationException(field, $"'{field}' must be a string, not {Describe(value.Value)}.");
        }

        return value.Value.GetString();
    }

    public static JsonElement RequireArray(JsonElement parent, string name, string field)
    {
        var value = Require(parent, name, field);
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new ProtocolViolationException(field, $"'{field}' must be an array, not {Describe(value)}.");
        }

        return value;
    }

    public static bool? OptionalBool(JsonElement parent, string name, string field)
    {
        var value = Optional(parent, name);
        if (value is null)
        {
            return null;
        }

        return value.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ProtocolViolationException(field, $"'{field}' must be true or false, not {Describe(value.Value)}."),
        };
    }

    public static int? OptionalInt(JsonElement parent, string name, string field, int min, int max)
    {
        var value = Optional(parent, name);
        if (value is null)
        {
            return null;
        }

        if (value.Value.ValueKind != JsonValueKind.Number || !value.Value.TryGetInt32(out var number))
        {
            throw new ProtocolViolationException(field, $"'{field}' must be an integer, not {Describe(value.Value)}.");
        }

        if (number < min || number > max)
        {
            throw new ProtocolViolationException(field, $"'{field}' must be between {min} and {max}, not {number}.");
        }

        return number;
    }

    public static double? OptionalNumber(JsonElement parent, string name, string field, double min, double max)
    {
        var value = Optional(parent, name);
        if (value is null)
        {
            return null;
        }

        if (value.Value.ValueKind != JsonValueKind.Number)
        {
            throw new ProtocolViolationException(field, $"'{field}' must be a number, not {Describe(value.Value)}.");
        }

        var number = value.Value.GetDouble();
        if (number < min || number > max)
        {
            throw new ProtocolViolationException(field, $"'{field}' must be between {min} and {max}.");
        }

        return number;
    }

    /// <summary>A short description of a JSON value's kind for error messages (never its content).</summary>
    public static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Display(string field) => field.Length == 0 ? "body" : field;
}
