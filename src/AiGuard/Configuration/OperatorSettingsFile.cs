using Microsoft.Extensions.Configuration.Json;

namespace AiGuard.Configuration;

/// <summary>
/// The operator's own settings file (<c>--config</c> or <c>AIGUARD_CONFIG</c>): a JSON source the
/// admin API's configuration check can find, to put a proposed file in its place.
/// </summary>
public sealed class OperatorSettingsFile : JsonConfigurationSource
{
}
