using System.Text.Json;
using AiGuard.Pipeline;

namespace AiGuard.Protocols.Json;

/// <summary>Checks a JSON body's syntax, depth and element count in one forward pass, before it is parsed into a tree.</summary>
/// <remarks>
/// Building a DOM for a hostile body is where the memory goes, so the limits are enforced by a
/// streaming reader first and the tree is only built for bodies that pass.
/// </remarks>
public static class JsonLimits
{
    /// <summary>Returns null when the body is acceptable, or the refusal that explains why not.</summary>
    public static GuardDecision? Check(ReadOnlySpan<byte> json, int maxDepth, int maxElements)
    {
        // The reader's own depth limit is set one above ours so our clearer message wins.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth + 1, CommentHandling = JsonCommentHandling.Disallow });
        long elements = 0;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        if (reader.CurrentDepth >= maxDepth)
                        {
                            return GuardDecision.Refuse(
                                PipelineStage.Parse,
                                400,
                                ProblemCodes.JsonTooDeep,
                                $"The JSON body is nested deeper than the limit of {maxDepth} levels.");
                        }

                        elements++;
                        break;
                    case JsonTokenType.String:
                    case JsonTokenType.Number:
                    case JsonTokenType.True:
                    case JsonTokenType.False:
                    case JsonTokenType.Null:
                        elements++;
                        break;
                }

                if (elements > maxElements)
                {
                    return GuardDecision.Refuse(
                        PipelineStage.Parse,
                        400,
                        ProblemCodes.JsonTooManyElements,
                        $"The JSON body has more than the limit of {maxElements} elements.");
                }
            }

            if (reader.BytesConsumed == 0)
            {
                return Malformed("The body is empty; a JSON document was expected.");
            }
        }
        catch (JsonException ex)
        {
            return Malformed($"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).");
        }

        return null;
    }

    private static GuardDecision Malformed(string detail) =>
        GuardDecision.Refuse(PipelineStage.Parse, 400, ProblemCodes.MalformedJson, detail);
}
