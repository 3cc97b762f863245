using DemoModel.Classifier;
using DemoModel.Http;
using DemoModel.OpenAi;
using DemoModel.TfServing;

namespace DemoModel;

/// <summary>
/// The <c>/v1/models/...</c> routes that OpenAI and TF-Serving share: the model name decides which
/// protocol answers, and TF-Serving's <c>:predict</c> verb is read from inside the last segment.
/// </summary>
internal static class V1ModelRoutes
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var classifier = routes.ServiceProvider.GetRequiredService<DemoClassifier>();
        routes.MapGet("/v1/models/{name}", context => GetAsync(context, RouteValue(context, "name"), null));
        routes.MapGet("/v1/models/{name}/versions/{version}", context =>
            GetAsync(context, RouteValue(context, "name"), RouteValue(context, "version")));
        routes.MapPost("/v1/models/{target}", context =>
        {
            var target = TfServingTarget.Parse(RouteValue(context, "target"));
            return PostAsync(context, classifier, target.Name, null, target.Verb);
        });
        routes.MapPost("/v1/models/{name}/versions/{target}", context =>
        {
            var target = TfServingTarget.Parse(RouteValue(context, "target"));
            return PostAsync(context, classifier, RouteValue(context, "name"), target.Name, target.Verb);
        });
    }

    private static Task GetAsync(HttpContext context, string name, string? version)
    {
        if (version is null && ChatModelCatalog.Contains(name))
        {
            return ModelsEndpoint.WriteModelAsync(context, name);
        }

        if (name == DemoClassifier.Name)
        {
            return ModelStatusEndpoint.HandleAsync(context, name, version);
        }

        return OpenAiError.WriteAsync(
            context,
            StatusCodes.Status404NotFound,
            $"The model '{name}' does not exist",
            "invalid_request_error",
            "model",
            "model_not_found");
    }

    private static Task PostAsync(HttpContext context, DemoClassifier classifier, string name, string? version, string? verb) =>
        verb switch
        {
            "predict" => PredictEndpoint.HandleAsync(context, classifier, name, version),
            "classify" or "regress" => PlainError.WriteAsync(
                context, StatusCodes.Status400BadRequest, $"The '{verb}' API needs a tf.Example signature; '{name}' only supports 'predict'."),
            null => PlainError.WriteAsync(context, StatusCodes.Status404NotFound, $"Missing method; use POST /v1/models/{name}:predict."),
            _ => PlainError.WriteAsync(context, StatusCodes.Status404NotFound, $"Unknown method '{verb}'; use POST /v1/models/{name}:predict."),
        };

    private static string RouteValue(HttpContext context, string key) =>
        context.GetRouteValue(key) as string ?? string.Empty;
}
