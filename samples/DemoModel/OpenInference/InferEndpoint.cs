using DemoModel.Classifier;
using DemoModel.Http;

namespace DemoModel.OpenInference;

/// <summary><c>POST /v2/models/{name}[/versions/{version}]/infer</c>.</summary>
internal static class InferEndpoint
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var classifier = routes.ServiceProvider.GetRequiredService<DemoClassifier>();
        RequestDelegate handler = context => HandleAsync(context, classifier);
        routes.MapPost("/v2/models/{name}/infer", handler);
        routes.MapPost("/v2/models/{name}/versions/{version}/infer", handler);
    }

    private static async Task HandleAsync(HttpContext context, DemoClassifier classifier)
    {
        InferRequest request;
        try
        {
            ClassifierAddress.EnsureExists(context.GetRouteValue("name") as string, context.GetRouteValue("version") as string);
            using var document = await JsonBody.ReadAsync(context.Request);
            request = InferRequest.Parse(JsonBody.RequireObject(document), classifier.FeatureCount);
        }
        catch (DemoRequestException e)
        {
            await PlainError.WriteAsync(context, e);
            return;
        }

        var probabilities = classifier.Predict(request.Features);
        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("model_name", DemoClassifier.Name);
            writer.WriteString("model_version", DemoClassifier.Version);
            if (request.Id is not null)
            {
                writer.WriteString("id", request.Id);
            }

            writer.WriteStartArray("outputs");
            writer.WriteStartObject();
            writer.WriteString("name", DemoClassifier.OutputName);
            writer.WriteStartArray("shape");
            writer.WriteNumberValue(request.RowCount);
            writer.WriteNumberValue(classifier.ClassCount);
            writer.WriteEndArray();
            writer.WriteString("datatype", "FP32");
            writer.WriteStartArray("data");
            foreach (var p in probabilities)
            {
                writer.WriteNumberValue(p);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }
}
