namespace AiGuard.Inspection.Injection;

/// <summary>The prompt-injection model cannot be used: missing, tampered with, or not the expected contract.</summary>
public sealed class InjectionModelException(string message, Exception? inner = null) : Exception(message, inner);
