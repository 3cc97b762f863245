using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Serilog.Sinks;

/// <summary>Renders Serilog events into a <see cref="TextWriter"/> so a test can read what a sink would write.</summary>
internal sealed class TextWriterSinkShim(TextWriter writer, ITextFormatter formatter) : ILogEventSink
{
    public void Emit(LogEvent logEvent) => formatter.Format(logEvent, writer);
}
