using System.Text.Json;
using DemoModel.Classifier;
using DemoModel.Http;

namespace DemoModel.TfServing;

/// <summary>A validated TF-Serving predict request, in row (<c>instances</c>) or columnar (<c>inputs</c>) format.</summary>
internal sealed record PredictRequest(bool Columnar, float[] Features)
{
    public const int MaxRows = 100_000;

    public static PredictRequest Parse(JsonElement root, int featureCount)
    {
        var hasInstances = root.TryGetProperty("instances", out var instances);
        var hasInputs = root.TryGetProperty("inputs", out var inputs);
        if (hasInstances == hasInputs)
        {
            throw DemoRequestException.BadRequest("The request must contain exactly one of 'instances' (row format) or 'inputs' (columnar format).");
        }

        // Both formats accept the bare rows or an object naming the model's single input.
        var rows = Unwrap(hasInstances ? instances : inputs, hasInstances);
        if (rows.ValueKind != JsonValueKind.Array || rows.GetArrayLength() == 0 || rows.GetArrayLength() > MaxRows)
        {
            throw DemoRequestException.BadRequest($"Expected a list of 1 to {MaxRows} rows of {featureCount} numbers.");
        }

        var features = new List<float>(rows.GetArrayLength() * featureCount);
        var index = 0;
        foreach (var row in rows.EnumerateArray())
        {
            var instance = hasInstances ? Unwrap(row, hasInstances) : row;
            if (instance.ValueKind != JsonValueKind.Array || instance.GetArrayLength() != featureCount)
            {
                throw DemoRequestException.BadRequest($"Row {index} must be a list of {featureCount} numbers.");
            }

            foreach (var value in instance.EnumerateArray())
            {
                features.Add(FeatureValues.Read(value));
            }

            index++;
        }

        return new PredictRequest(!hasInstances, features.ToArray());
    }

    private static JsonElement Unwrap(JsonElement element, bool rowFormat)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return element;
        }

        if (element.TryGetProperty(DemoClassifier.InputName, out var named) && CountProperties(element) == 1)
        {
            return named;
        }

        var where = rowFormat ? "an instance" : "'inputs'";
        throw DemoRequestException.BadRequest($"{where} given as an object must have the single key '{DemoClassifier.InputName}'.");
    }

    private static int CountProperties(JsonElement element) => element.EnumerateObject().Count();
}
