using DemoModel.Http;

namespace DemoModel.OpenAi;

/// <summary><c>POST /v1/chat/completions</c>, streamed or not.</summary>
internal static class ChatCompletionsEndpoint
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/v1/chat/completions", HandleAsync);

    private static async Task HandleAsync(HttpContext context)
    {
        ChatCompletion completion;
        try
        {
            using var document = await JsonBody.ReadAsync(context.Request);
            completion = ChatCompletion.Create(ChatRequestParser.Parse(JsonBody.RequireObject(document)));
        }
        catch (DemoRequestException e)
        {
            await OpenAiError.WriteAsync(context, e);
            return;
        }

        if (completion.Request.Stream)
        {
            await ChatCompletionStream.WriteAsync(context, completion);
        }
        else
        {
            await JsonResponse.WriteAsync(context, StatusCodes.Status200OK, w => ChatCompletionJson.WriteCompletion(w, completion));
        }
    }
}
