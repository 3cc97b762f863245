using System.Buffers;

namespace AiGuard.Inspection.Output;

/// <summary>Splits a server-sent event stream into whole events as bytes arrive, holding back only an incomplete event.</summary>
internal sealed class ServerSentEvents
{
    private readonly ArrayBufferWriter<byte> _pending = new(1024);

    // Offsets into _pending: events before _start were taken; scanning resumes at _position, so a
    // long line arriving in small pieces is scanned once, and several events in one read are
    // taken without moving the bytes after them.
    private int _start;
    private int _position;
    private int _lineStart;

    /// <summary>Bytes held back because they do not end an event yet.</summary>
    public int PendingBytes => _pending.WrittenCount - _start;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_start > 0)
        {
            // Only the incomplete event is left before the taken ones' space is reused.
            var rest = _pending.WrittenSpan[_start..].ToArray();
            _pending.ResetWrittenCount();
            _pending.Write(rest);
            _position -= _start;
            _lineStart -= _start;
            _start = 0;
        }

        _pending.Write(data);
    }

    /// <summary>Takes the next complete event (its bytes including the blank line that ends it), if one has arrived.</summary>
    public bool TryTake(out byte[] eventBytes)
    {
        var pending = _pending.WrittenSpan;
        var end = FindEventEnd(pending);
        if (end < 0)
        {
            eventBytes = [];
            return false;
        }

        eventBytes = pending[_start..end].ToArray();
        _start = _position = _lineStart = end;
        return true;
    }

    /// <summary>Whatever is left when the stream ends (an event without its blank line).</summary>
    public byte[] TakeRest()
    {
        var rest = _pending.WrittenSpan[_start..].ToArray();
        _pending.ResetWrittenCount();
        _start = _position = _lineStart = 0;
        return rest;
    }

    /// <summary>The <c>data:</c> payload of an event (several data lines joined by newlines); empty for comment-only events.</summary>
    public static ReadOnlySpan<byte> Data(ReadOnlySpan<byte> eventBytes, out bool hasData)
    {
        hasData = false;
        ReadOnlySpan<byte> single = default;
        ArrayBufferWriter<byte>? joined = null;
        while (!eventBytes.IsEmpty)
        {
            var lineEnd = eventBytes.IndexOfAny((byte)'\r', (byte)'\n');
            var line = lineEnd < 0 ? eventBytes : eventBytes[..lineEnd];
            eventBytes = lineEnd < 0 ? [] : eventBytes[(lineEnd + (eventBytes[lineEnd] == '\r' && lineEnd + 1 < eventBytes.Length && eventBytes[lineEnd + 1] == '\n' ? 2 : 1))..];
            if (!line.StartsWith("data"u8) || (line.Length > 4 && line[4] != ':'))
            {
                continue;
            }

            var value = line.Length > 5 ? line[5..] : [];
            if (!value.IsEmpty && value[0] == ' ')
            {
                value = value[1..];
            }

            if (!hasData)
            {
                hasData = true;
                single = value;
                continue;
            }

            if (joined is null)
            {
                joined = new ArrayBufferWriter<byte>(single.Length + value.Length + 1);
                joined.Write(single);
            }

            joined.Write("\n"u8);
            joined.Write(value);
        }

        return joined is null ? single : joined.WrittenSpan;
    }

    /// <summary>The offset just after the blank line that ends the first event; -1 if it has not arrived yet.</summary>
    private int FindEventEnd(ReadOnlySpan<byte> data)
    {
        // Lines end with LF, CRLF or CR; an event ends with an empty line.
        var i = _position;
        while (i < data.Length)
        {
            var b = data[i];
            if (b is not ((byte)'\n' or (byte)'\r'))
            {
                i++;
                continue;
            }

            var terminatorEnd = i + 1;
            if (b == '\r')
            {
                if (terminatorEnd == data.Length)
                {
                    // A CR at the end may be the first half of CRLF: look again when more bytes arrive.
                    break;
                }

                if (data[terminatorEnd] == '\n')
                {
                    terminatorEnd++;
                }
            }

            if (i == _lineStart)
            {
                return terminatorEnd;
            }

            _lineStart = terminatorEnd;
            i = terminatorEnd;
        }

        _position = i;
        return -1;
    }
}
