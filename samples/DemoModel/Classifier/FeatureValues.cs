using System.Text.Json;
using DemoModel.Http;

namespace DemoModel.Classifier;

/// <summary>Reads numeric tensor data from JSON, refusing anything that is not a finite FP32 value.</summary>
internal static class FeatureValues
{
    /// <summary>Appends every number of a flat or nested array, in row-major order.</summary>
    public static void Flatten(JsonElement element, List<float> destination)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Flatten(item, destination);
            }

            return;
        }

        destination.Add(Read(element));
    }

    public static float Read(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.String && IsNonFiniteLiteral(element.GetString()!))
        {
            throw DemoRequestException.BadRequest("Input values must be finite: NaN and Infinity are not accepted.");
        }

        if (element.ValueKind != JsonValueKind.Number)
        {
            throw DemoRequestException.BadRequest($"Input values must be numbers, found {element.ValueKind}.");
        }

        // A literal beyond the FP32 range would silently become Infinity.
        if (!element.TryGetDouble(out var value) || !float.IsFinite((float)value))
        {
            throw DemoRequestException.BadRequest("Input values must be finite FP32 numbers.");
        }

        return (float)value;
    }

    // Python's json module writes these bare; some clients quote them instead.
    private static bool IsNonFiniteLiteral(string text) =>
        text.Equals("NaN", StringComparison.OrdinalIgnoreCase)
        || text.TrimStart('+', '-').Equals("Infinity", StringComparison.OrdinalIgnoreCase)
        || text.TrimStart('+', '-').Equals("inf", StringComparison.OrdinalIgnoreCase);
}
