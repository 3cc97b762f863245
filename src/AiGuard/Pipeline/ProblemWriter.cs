using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Pipeline;

/// <summary>Serializes a refusal as an RFC 9457 problem, with an OpenAI-style error object on OpenAI routes.</summary>
public static class ProblemWriter
{
    public const string ContentType = "application/problem+json";

    /// <summary>The response header that carries the incident id on every refusal.</summary>
    public const string IncidentHeader = "AiGuard-Incident-Id";

    // A JSON body, never HTML: quotes and angle brackets in details stay readable.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the problem JSON of a refusal.</summary>
    /// <param name="openAiError">Add <c>error: {message, type, code}</c> so the official OpenAI SDKs show the reason.</param>
    public static void Write(IBufferWriter<byte> output, in GuardDecision decision, string instance, string incidentId, bool openAiError)
    {
        using var json = new Utf8JsonWriter(output, WriterOptions);
        var code = decision.Code!;
        json.WriteStartObject();
        json.WriteString("type", "urn:aiguard:problem:" + code);
        json.WriteString("title", ProblemTitles.For(code));
        json.WriteNumber("status", decision.Status);
        if (decision.Detail is not null)
        {
            json.WriteString("detail", decision.Detail);
        }

        json.WriteString("instance", Excerpt.Scrubbed(instance, 256));
        json.WriteString("code", code);
        json.WriteString("incidentId", incidentId);
        if (decision.Field is not null)
        {
            json.WriteString("field", decision.Field);
        }

        if (openAiError)
        {
            json.WriteStartObject("error");
            json.WriteString("message", (decision.Detail ?? ProblemTitles.For(code)) + " (incident " + incidentId + ")");
            json.WriteString("type", OpenAiErrorType(decision.Status));
            if (decision.Field is not null)
            {
                json.WriteString("param", decision.Field);
            }
            else
            {
                json.WriteNull("param");
            }

            json.WriteString("code", code);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    /// <summary>Whether refusals on a route carry the OpenAI error object.</summary>
    public static bool WantsOpenAiError(GuardContext guard) => guard.Policy?.Protocol == ProtocolNames.OpenAi;

    /// <summary>The OpenAI error <c>type</c> for a status, as the OpenAI API uses them.</summary>
    public static string OpenAiErrorType(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "authentication_error",
        StatusCodes.Status403Forbidden => "permission_error",
        StatusCodes.Status429TooManyRequests => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };
}
