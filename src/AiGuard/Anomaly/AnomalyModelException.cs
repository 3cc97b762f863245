namespace AiGuard.Anomaly;

/// <summary>An anomaly model that cannot be used: missing, not the pinned file, or not the contract.</summary>
public sealed class AnomalyModelException : Exception
{
    public AnomalyModelException() { }

    public AnomalyModelException(string message) : base(message) { }

    public AnomalyModelException(string message, Exception inner) : base(message, inner) { }
}
