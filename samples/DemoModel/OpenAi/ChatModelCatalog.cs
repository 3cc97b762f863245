namespace DemoModel.OpenAi;

/// <summary>The chat models the demo server answers for.</summary>
internal static class ChatModelCatalog
{
    public const string OwnedBy = "aiguard-demo";

    // Fixed so that /v1/models is byte-for-byte stable across runs.
    public const long Created = 1735689600;

    public static IReadOnlyList<string> Ids { get; } = ["demo-chat", "demo-chat-large"];

    public static bool Contains(string id) => Ids.Contains(id, StringComparer.Ordinal);
}
