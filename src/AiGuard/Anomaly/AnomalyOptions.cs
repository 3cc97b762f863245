namespace AiGuard.Anomaly;

/// <summary>The anomaly engine's settings (section <c>AiGuard:Anomaly</c>).</summary>
public sealed class AnomalyOptions
{
    /// <summary>The ONNX model that scores clients; with no <c>Path</c> no model is loaded.</summary>
    public AnomalyModelOptions Model { get; set; } = new();
}
