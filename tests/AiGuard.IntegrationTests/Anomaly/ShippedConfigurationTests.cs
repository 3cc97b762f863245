using System.Text.Json;
using AiGuard.IntegrationTests.Telemetry;

namespace AiGuard.IntegrationTests.Anomaly;

/// <summary>The shipped settings agree with the shipped anomaly model: its pin, and the demo's thresholds per kind of route.</summary>
public sealed class ShippedConfigurationTests
{
    private static JsonElement Read(params string[] path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine([TelemetryDocs.RepositoryRoot(), .. path])), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return document.RootElement.Clone();
    }

    [Fact]
    public void The_default_settings_pin_the_shipped_model_and_its_feature_schema()
    {
        var manifest = Read("models", "anomaly.manifest.json");
        var model = Read("src", "AiGuard.Gateway", "appsettings.json").GetProperty("AiGuard").GetProperty("Anomaly").GetProperty("Model");

        Assert.Equal(manifest.GetProperty("model_sha256").GetString(), model.GetProperty("Sha256").GetString());
        Assert.Equal(manifest.GetProperty("feature_schema_version").GetString(), model.GetProperty("ExpectedFeatureSchemaVersion").GetString());
    }

    [Fact]
    public void The_demo_starts_each_kind_of_route_at_the_shipped_models_recommended_threshold_for_it()
    {
        var training = Read("models", "anomaly.manifest.json").GetProperty("training");
        var aiguard = Read("src", "AiGuard.Gateway", "appsettings.Demo.json").GetProperty("AiGuard");
        var anomaly = aiguard.GetProperty("Anomaly").GetProperty("Policies");

        double FirstThreshold(string guardPolicy) => anomaly
            .GetProperty(aiguard.GetProperty("Policies").GetProperty(guardPolicy).GetProperty("Anomaly").GetString()!)
            .GetProperty("Actions").EnumerateArray().Min(a => a.GetProperty("Threshold").GetDouble());

        // Not below the tuned threshold (it would flag benign clients the tuning did not), and no
        // more than the rounding above it.
        Assert.InRange(FirstThreshold("llm"), training.GetProperty("recommended_text_threshold").GetDouble(), training.GetProperty("recommended_text_threshold").GetDouble() + 0.001);
        foreach (var tensors in new[] { "classifier-v2", "classifier-tf" })
        {
            Assert.InRange(FirstThreshold(tensors), training.GetProperty("recommended_threshold").GetDouble(), training.GetProperty("recommended_threshold").GetDouble() + 0.001);
        }
    }
}
