namespace AiGuard.Cli.RedTeam;

/// <summary>Everything a run needs: where, with which key, which routes and models, and how much it may send.</summary>
internal sealed record RedTeamSettings
{
    public required Uri Target { get; init; }

    public required string Key { get; init; }

    public string ChatPath { get; init; } = "/v1/chat/completions";

    public string ChatModel { get; init; } = "demo-chat";

    public string OipModel { get; init; } = "demo-classifier";

    public string TfModel { get; init; } = "demo-classifier";

    public int MaxRequests { get; init; } = 1500;

    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Requests of each anomaly-simulator run.</summary>
    public int AnomalyQueries { get; init; } = 200;

    /// <summary>Requests of each flood at most (a flood stops at its first refusal).</summary>
    public int FloodRequests { get; init; } = 100;

    public int Seed { get; init; } = 1;

    public IReadOnlySet<string> Categories { get; init; } = RedTeamSuite.CategoryNames.ToHashSet();

    /// <summary>Probes (<c>category/name</c>) whose getting through the operator accepts as a known gap.</summary>
    public IReadOnlySet<string> Accepted { get; init; } = new HashSet<string>();

    public string OipPath => $"/v2/models/{Uri.EscapeDataString(OipModel)}/infer";

    public string TfPath => $"/v1/models/{Uri.EscapeDataString(TfModel)}:predict";

    /// <summary>A small valid chat body with <paramref name="content"/> as the user's message.</summary>
    public string ChatBody(string content, string extra = "") =>
        $$"""{"model":{{Json(ChatModel)}},"messages":[{"role":"user","content":{{Json(content)}}}]{{extra}}}""";

    public static string Json(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
