namespace AiGuard.IntegrationTests.DemoModel;

/// <summary>The centres of the three blobs the demo classifier is trained on, one per class, in class order.</summary>
internal static class ClassifierSamples
{
    public static readonly float[][] Centres =
    [
        [5.0f, 3.4f, 1.5f, 0.25f],
        [5.9f, 2.8f, 4.3f, 1.3f],
        [6.6f, 3.0f, 5.6f, 2.0f],
    ];

    public static string NestedJson => "[" + string.Join(",", Centres.Select(Row)) + "]";

    public static string FlatJson => "[" + string.Join(",", Centres.SelectMany(r => r).Select(Number)) + "]";

    public static string Row(float[] row) => "[" + string.Join(",", row.Select(Number)) + "]";

    private static string Number(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
