namespace DemoModel.TfServing;

/// <summary>
/// Splits TF-Serving's last path segment, <c>{name}:{verb}</c> (or <c>{version}:{verb}</c>). The verb
/// lives inside the segment, so a plain route template cannot tell <c>/v1/models/x:predict</c> apart.
/// </summary>
internal readonly record struct TfServingTarget(string Name, string? Verb)
{
    public static TfServingTarget Parse(string segment)
    {
        var colon = segment.LastIndexOf(':');
        return colon < 0
            ? new TfServingTarget(segment, null)
            : new TfServingTarget(segment[..colon], segment[(colon + 1)..]);
    }
}
