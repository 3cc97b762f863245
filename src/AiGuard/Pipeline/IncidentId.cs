namespace AiGuard.Pipeline;

/// <summary>Creates incident ids: time-ordered, unguessable, and safe to show to clients.</summary>
public static class IncidentId
{
    public static string New() => "inc_" + Guid.CreateVersion7().ToString("N");
}
