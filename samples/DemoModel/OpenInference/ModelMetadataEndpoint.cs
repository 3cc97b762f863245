using System.Text.Json;
using DemoModel.Classifier;
using DemoModel.Http;

namespace DemoModel.OpenInference;

/// <summary><c>GET /v2/models/{name}[/versions/{version}]</c> and its <c>/ready</c> sibling.</summary>
internal static class ModelMetadataEndpoint
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var classifier = routes.ServiceProvider.GetRequiredService<DemoClassifier>();
        RequestDelegate metadata = context => HandleAsync(context, writer => WriteMetadata(writer, classifier));
        RequestDelegate ready = context => HandleAsync(context, WriteReady);
        routes.MapGet("/v2/models/{name}", metadata);
        routes.MapGet("/v2/models/{name}/versions/{version}", metadata);
        routes.MapGet("/v2/models/{name}/ready", ready);
        routes.MapGet("/v2/models/{name}/versions/{version}/ready", ready);
    }

    private static async Task HandleAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        try
        {
            ClassifierAddress.EnsureExists(context.GetRouteValue("name") as string, context.GetRouteValue("version") as string);
        }
        catch (DemoRequestException e)
        {
            await PlainError.WriteAsync(context, e);
            return;
        }

        await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, write);
    }

    private static void WriteReady(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("name", DemoClassifier.Name);
        writer.WriteBoolean("ready", true);
        writer.WriteEndObject();
    }

    private static void WriteMetadata(Utf8JsonWriter writer, DemoClassifier classifier)
    {
        writer.WriteStartObject();
        writer.WriteString("name", DemoClassifier.Name);
        writer.WriteStartArray("versions");
        writer.WriteStringValue(DemoClassifier.Version);
        writer.WriteEndArray();
        writer.WriteString("platform", DemoClassifier.Platform);
        writer.WriteStartArray("inputs");
        WriteTensor(writer, DemoClassifier.InputName, classifier.FeatureCount);
        writer.WriteEndArray();
        writer.WriteStartArray("outputs");
        WriteTensor(writer, DemoClassifier.OutputName, classifier.ClassCount);
        writer.WriteEndArray();
        writer.WriteStartObject("parameters");
        writer.WriteNumber("training_accuracy", classifier.TrainingAccuracy);
        writer.WriteNumber("training_rows", classifier.TrainingRows);
        writer.WriteString("feature_names", string.Join(',', DemoDataset.FeatureNames));
        writer.WriteString("labels", string.Join(',', DemoDataset.Labels));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteTensor(Utf8JsonWriter writer, string name, int width)
    {
        writer.WriteStartObject();
        writer.WriteString("name", name);
        writer.WriteString("datatype", "FP32");
        writer.WriteStartArray("shape");
        writer.WriteNumberValue(-1);
        writer.WriteNumberValue(width);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
