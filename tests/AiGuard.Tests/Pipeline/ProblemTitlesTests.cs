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

    [Fact]
    public void Every_problem_code_has_a_title_of_its_own()
    {
        // A refusal code added to ProblemCodes without a title would answer with the generic one.
        string[] auditOnly =
        [
            ProblemCodes.OutputHardened, ProblemCodes.GuardFailedOpen, ProblemCodes.ParametersChanged, ProblemCodes.SensitiveDataRedacted,
            ProblemCodes.AnomalyObserved, ProblemCodes.AnomalyFlagged, ProblemCodes.AnomalyHardened, ProblemCodes.PromptInjectionFlagged,
            ProblemCodes.QuarantineAdded, ProblemCodes.QuarantineRemoved,
        ];
        var codes = typeof(ProblemCodes).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Except(auditOnly)
            .ToList();
        var titles = codes.Select(ProblemTitles.For).ToList();

        Assert.True(codes.Count >= 40, $"{codes.Count} codes");
        Assert.All(titles, title => Assert.False(string.IsNullOrWhiteSpace(title)));
        Assert.DoesNotContain(ProblemTitles.For("a_custom_stage_code"), titles);
        Assert.Equal(titles.Count, titles.Distinct(StringComparer.Ordinal).Count());
    }
}
