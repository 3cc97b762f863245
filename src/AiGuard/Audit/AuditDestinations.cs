using AiGuard.Configuration;

namespace AiGuard.Audit;

/// <summary>Checks at start that audit events have somewhere to go, so the audit trail is never lost silently.</summary>
public static class AuditDestinations
{
    /// <summary>
    /// True when the audit file can be written (or none is configured). When it cannot, the start
    /// fails with a clear error, unless <see cref="AuditOptions.FallbackToConsole"/> is set: then
    /// false, and the caller writes to standard output instead and says so loudly.
    /// </summary>
    public static bool CheckFile(AuditOptions options, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(options.FilePath))
        {
            return true;
        }

        try
        {
            var full = Path.GetFullPath(options.FilePath);
            var directory = Path.GetDirectoryName(full)!;
            Directory.CreateDirectory(directory);
            // The sink rolls daily (audit-YYYYMMDD.log next to the configured name): prove the directory takes a new file.
            var probe = Path.Combine(directory, $".aiguard-audit-probe-{Environment.ProcessId}");
            File.WriteAllText(probe, string.Empty);
            File.Delete(probe);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problem = $"AiGuard:Audit:FilePath '{options.FilePath}' cannot be written ({ex.GetType().Name}: {ex.Message})";
            if (!options.FallbackToConsole)
            {
                throw new GatewayConfigurationException(
                    problem + ". Fix the path or its permissions, or set AiGuard:Audit:FallbackToConsole=true to write audit events to standard output instead.");
            }

            return false;
        }
    }
}
