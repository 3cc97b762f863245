using AiGuard.Pipeline;

namespace AiGuard.Tests.Pipeline;

/// <summary>Every problem code answers with its own fixed title (RFC 9457 <c>title</c>).</summary>
public class ProblemTitlesTests
{
    [Theory]
    [InlineData(ProblemCodes.MissingCredentials, "Authentication required")]
    [InlineData(ProblemCodes.InvalidApiKey, "Invalid API key")]
    [InlineData(ProblemCodes.ExpiredApiKey, "API key expired")]
    [InlineData(ProblemCodes.RevokedApiKey, "API key revoked")]
    [InlineData(ProblemCodes.RouteNotAllowed, "Route not allowed for this client")]
    [InlineData(ProblemCodes.ScopeMissing, "Missing scope")]
    [InlineData(ProblemCodes.ModelNotAllowed, "Model not allowed for this client")]
    [InlineData(ProblemCodes.MalformedJson, "Malformed JSON body")]
    [InlineData(ProblemCodes.JsonTooDeep, "JSON body nested too deeply")]
    [InlineData(ProblemCodes.JsonTooManyElements, "JSON body has too many elements")]
    [InlineData(ProblemCodes.InvalidBody, "Request body does not match the protocol")]
    [InlineData(ProblemCodes.InvalidHeader, "Invalid request header")]
    [InlineData(ProblemCodes.InvalidPath, "Invalid request path")]
    [InlineData(ProblemCodes.TensorShapeMismatch, "Tensor shape does not match its data")]
    [InlineData(ProblemCodes.RouteNotFound, "No route for this path")]
    [InlineData(ProblemCodes.OperationNotSupported, "Operation not supported on this route")]
    [InlineData(ProblemCodes.BodyReadTimeout, "Request body not received in time")]
    [InlineData(ProblemCodes.BodyTooLarge, "Request body too large")]
    [InlineData(ProblemCodes.UnsupportedMediaType, "Unsupported content type")]
    [InlineData(ProblemCodes.UpstreamError, "Upstream model server failed")]
    [InlineData(ProblemCodes.UpstreamUnavailable, "Upstream model server unavailable")]
    [InlineData(ProblemCodes.UpstreamTimeout, "Upstream model server timed out")]
    [InlineData(ProblemCodes.UpstreamInvalidResponse, "Upstream answer could not be inspected")]
    [InlineData(ProblemCodes.ResponseTooLarge, "Upstream answer too large to inspect")]
    [InlineData(ProblemCodes.RoutePolicyMissing, "Route has no AiGuard policy")]
    [InlineData(ProblemCodes.GuardUnavailable, "A guard could not decide")]
    [InlineData(ProblemCodes.InternalError, "Internal gateway error")]
    [InlineData("a_custom_stage_code", "Request refused")]
    public void Each_problem_code_has_its_fixed_title(string code, string title)
    {
        Assert.Equal(title, ProblemTitles.For(code));
    }
}
