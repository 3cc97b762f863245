using System.Text.Json;
using DemoModel.Classifier;
using DemoModel.Http;

namespace DemoModel.OpenInference;

/// <summary>A validated Open Inference Protocol v2 infer request for the demo classifier.</summary>
internal sealed record InferRequest(string? Id, int RowCount, float[] Features)
{
    // Keeps one request from holding the server's memory hostage.
    public const int MaxRows = 100_000;

    public static InferRequest Parse(JsonElement root, int featureCount)
    {
        var id = root.TryGetProperty("id", out var idElement)
            ? idElement.ValueKind == JsonValueKind.String
                ? idElement.GetString()
                : throw DemoRequestException.BadRequest("'id' must be a string.")
            : null;

        if (!root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
        {
            throw DemoRequestException.BadRequest("'inputs' must be an array of tensors.");
        }

        if (inputs.GetArrayLength() != 1)
        {
            throw DemoRequestException.BadRequest($"Expected exactly 1 input tensor ('{DemoClassifier.InputName}'), got {inputs.GetArrayLength()}.");
        }

        ValidateRequestedOutputs(root);
        var (rowCount, features) = ParseTensor(inputs[0], featureCount);
        return new InferRequest(id, rowCount, features);
    }

    private static (int RowCount, float[] Features) ParseTensor(JsonElement tensor, int featureCount)
    {
        if (tensor.ValueKind != JsonValueKind.Object)
        {
            throw DemoRequestException.BadRequest("An input tensor must be an object.");
        }

        var name = RequiredString(tensor, "name");
        if (name != DemoClassifier.InputName)
        {
            throw DemoRequestException.BadRequest($"Unexpected input '{name}'; the model's input is '{DemoClassifier.InputName}'.");
        }

        var datatype = RequiredString(tensor, "datatype");
        if (datatype != "FP32")
        {
            throw DemoRequestException.BadRequest($"Input '{name}' has datatype {datatype}; the model expects FP32.");
        }

        var rowCount = ParseShape(tensor, featureCount);
        if (!tensor.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            throw DemoRequestException.BadRequest($"Input '{name}' must carry a 'data' array.");
        }

        var values = new List<float>(rowCount * featureCount);
        FeatureValues.Flatten(data, values);
        if (values.Count != rowCount * featureCount)
        {
            throw DemoRequestException.BadRequest(
                $"Input '{name}' has {values.Count} values but its shape [{rowCount},{featureCount}] needs {rowCount * featureCount}.");
        }

        return (rowCount, values.ToArray());
    }

    private static int ParseShape(JsonElement tensor, int featureCount)
    {
        if (!tensor.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
        {
            throw DemoRequestException.BadRequest("Input tensor must have a 'shape' array.");
        }

        var dims = shape.EnumerateArray()
            .Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out var v) ? v : -1)
            .ToArray();
        if (dims.Length != 2 || dims[0] < 1 || dims[0] > MaxRows || dims[1] != featureCount)
        {
            throw DemoRequestException.BadRequest(
                $"Input shape [{string.Join(',', shape.EnumerateArray())}] is not valid; expected [N,{featureCount}] with 1 <= N <= {MaxRows}.");
        }

        return dims[0];
    }

    private static void ValidateRequestedOutputs(JsonElement root)
    {
        if (!root.TryGetProperty("outputs", out var outputs) || outputs.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (outputs.ValueKind != JsonValueKind.Array)
        {
            throw DemoRequestException.BadRequest("'outputs' must be an array.");
        }

        foreach (var output in outputs.EnumerateArray())
        {
            var name = output.ValueKind == JsonValueKind.Object ? RequiredString(output, "name") : null;
            if (name != DemoClassifier.OutputName)
            {
                throw DemoRequestException.BadRequest($"Unknown output '{name}'; the model's output is '{DemoClassifier.OutputName}'.");
            }
        }
    }

    private static string RequiredString(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw DemoRequestException.BadRequest($"Tensor field '{property}' is required and must be a string.");
}
