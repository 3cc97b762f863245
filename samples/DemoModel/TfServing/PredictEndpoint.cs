using DemoModel.Classifier;
using DemoModel.Http;

namespace DemoModel.TfServing;

/// <summary>TF-Serving's <c>:predict</c> verb for the demo classifier.</summary>
internal static class PredictEndpoint
{
    public static async Task HandleAsync(HttpContext context, DemoClassifier classifier, string name, string? version)
    {
        PredictRequest request;
        try
        {
            ClassifierAddress.EnsureExists(name, version);
            using var document = await JsonBody.ReadAsync(context.Request);
            request = PredictRequest.Parse(JsonBody.RequireObject(document), classifier.FeatureCount);
        }
        catch (DemoRequestException e)
        {
            await PlainError.WriteAsync(context, e);
            return;
        }

        var probabilities = classifier.Predict(request.Features);

        // TF-Serving answers in the format it was asked in: rows under "predictions", columns under "outputs".
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray(request.Columnar ? "outputs" : "predictions");
            for (var row = 0; row < probabilities.Length; row += classifier.ClassCount)
            {
                writer.WriteStartArray();
                for (var c = 0; c < classifier.ClassCount; c++)
                {
                    writer.WriteNumberValue(probabilities[row + c]);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }
}
