namespace AiGuard.Protocols;

/// <summary>The protocol names a route's policy can name.</summary>
public static class ProtocolNames
{
    public const string OpenAi = "openai";
    public const string OpenInferenceV2 = "open-inference-v2";
    public const string TfServing = "tf-serving";
}
