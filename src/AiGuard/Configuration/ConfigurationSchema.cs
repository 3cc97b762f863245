using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using AiGuard.Pipeline;
using Microsoft.Extensions.Configuration;

namespace AiGuard.Configuration;

/// <summary>
/// Checks a configuration section against the options type it binds to before it is bound:
/// every value must convert to its property's type (one precise error per bad value, instead of
/// the binder's first exception), and every key must name a property (a typo is reported with
/// the closest known name instead of being silently ignored).
/// </summary>
public static class ConfigurationSchema
{
    // Never echo these values in a message: they may hold a secret pasted in the wrong place.
    private static readonly HashSet<string> SecretProperties = new(StringComparer.OrdinalIgnoreCase) { "Hash", "Credential" };

    /// <summary>Walks <paramref name="section"/> as <paramref name="type"/>; adds conversion errors and unknown-key warnings.</summary>
    public static void Check(IConfigurationSection section, Type type, List<string> errors, List<string> warnings)
    {
        Walk(section, type, section.Path, errors, warnings, secret: false);
    }

    private static void Walk(IConfigurationSection section, Type type, string path, List<string> errors, List<string> warnings, bool secret)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(underlying))
        {
            CheckScalar(section, underlying, Nullable.GetUnderlyingType(type) is not null, path, errors, secret);
            return;
        }

        if (section.Value is { Length: > 0 } && !section.GetChildren().Any())
        {
            errors.Add($"{path} must be a section with settings, not a single value.");
            return;
        }

        if (DictionaryValueType(underlying) is { } valueType)
        {
            foreach (var child in section.GetChildren())
            {
                Walk(child, valueType, child.Path, errors, warnings, secret);
            }

            return;
        }

        if (ListItemType(underlying) is { } itemType)
        {
            foreach (var child in section.GetChildren())
            {
                if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add($"{child.Path}: '{Excerpt.Of(child.Key, 40)}' is not a list index; {path} is a list (use {path}:0, {path}:1, ...).");
                    continue;
                }

                Walk(child, itemType, child.Path, errors, warnings, secret);
            }

            return;
        }

        var properties = underlying.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && (p.CanWrite || !IsScalar(p.PropertyType)))
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (properties.TryGetValue(child.Key, out var property))
            {
                Walk(child, property.PropertyType, child.Path, errors, warnings, SecretProperties.Contains(property.Name));
                continue;
            }

            var suggestion = Closest(child.Key, properties.Keys);
            warnings.Add(suggestion is null
                ? $"{child.Path} is not a known setting and is ignored."
                : $"{child.Path} is not a known setting and is ignored; did you mean {path}:{suggestion}?");
        }
    }

    private static void CheckScalar(IConfigurationSection section, Type type, bool nullable, string path, List<string> errors, bool secret)
    {
        if (section.GetChildren().Any())
        {
            errors.Add($"{path} must be a single value, not a section.");
            return;
        }

        var value = section.Value;
        if (value is null || type == typeof(string) || (value.Length == 0 && nullable))
        {
            return;
        }

        var shown = secret ? "the value" : $"'{Excerpt.Of(value, 40)}'";
        try
        {
            if (type.IsEnum ? !Enum.TryParse(type, value, ignoreCase: true, out _) : TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value) is null)
            {
                errors.Add($"{path}: {shown} is not {Describe(type)}.");
            }
        }
        catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException or OverflowException || ex.InnerException is FormatException or OverflowException)
        {
            errors.Add($"{path}: {shown} is not {Describe(type)}.");
        }
    }

    private static bool IsScalar(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying.IsPrimitive || underlying.IsEnum || underlying == typeof(string) || underlying == typeof(decimal)
            || underlying == typeof(DateTimeOffset) || underlying == typeof(DateTime) || underlying == typeof(TimeSpan) || underlying == typeof(Uri);
    }

    private static Type? DictionaryValueType(Type type)
    {
        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        return dictionary?.GetGenericArguments() is [var key, var value] && key == typeof(string) ? value : null;
    }

    private static Type? ListItemType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        return type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && type.IsGenericType ? type.GetGenericArguments()[0] : null;
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "a whole number",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "a number",
        _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date and time (ISO 8601, for example 2027-06-30T00:00:00Z)",
        _ when type == typeof(TimeSpan) => "a duration (hh:mm:ss)",
        _ when type.IsEnum => "one of: " + string.Join(", ", Enum.GetNames(type)),
        _ => "a valid " + type.Name,
    };

    /// <summary>The known name closest to <paramref name="key"/> by edit distance, if it is close enough to be a typo.</summary>
    public static string? Closest(string key, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var distance = EditDistance(key.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }

        return best is not null && bestDistance <= Math.Max(2, best.Length / 3) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
