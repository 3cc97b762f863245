namespace AiGuard.Protocols;

/// <summary>An operation an adapter recognised from the method and path of a request.</summary>
/// <param name="Name">Stable operation name, for example <c>chat.completions</c>.</param>
/// <param name="HasBody">Whether the operation carries a JSON body the adapter must parse.</param>
/// <param name="ModelFromPath">The model named in the path, if the path names one.</param>
/// <param name="VersionFromPath">The model version named in the path, if any.</param>
/// <param name="HasInferenceResponse">Whether the answer is a model output the adapter can read (infer, predict, chat), not metadata.</param>
public sealed record ProtocolOperation(
    string Name,
    bool HasBody,
    string? ModelFromPath = null,
    string? VersionFromPath = null,
    bool HasInferenceResponse = false);
