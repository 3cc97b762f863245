using System.Text;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AiGuard.Protocols;

/// <summary>Checks that the path as the client sent it is percent-encoded UTF-8.</summary>
/// <remarks>
/// Kestrel leaves escapes it cannot decode (<c>%FF</c>) in the path as they are, so a model name
/// from the path would differ between the gateway (which sees "%FF") and a model server that
/// decodes differently. Such a path is refused before anything reads a name from it.
/// </remarks>
public static class RequestPath
{
    public static bool IsValidUtf8(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? string.Empty;
        var query = raw.IndexOf('?');
        var path = query < 0 ? raw.AsSpan() : raw.AsSpan(0, query);
        if (!path.Contains('%'))
        {
            return true;
        }

        var decoded = new byte[Encoding.UTF8.GetMaxByteCount(path.Length)];
        var length = 0;
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '%' && i + 2 < path.Length && IsHex(path[i + 1]) && IsHex(path[i + 2]))
            {
                decoded[length++] = (byte)((Hex(path[i + 1]) << 4) | Hex(path[i + 2]));
                i += 2;
            }
            else
            {
                length += Encoding.UTF8.GetBytes(path.Slice(i, 1), decoded.AsSpan(length));
            }
        }

        return Utf8.IsValid(decoded.AsSpan(0, length));
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int Hex(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
