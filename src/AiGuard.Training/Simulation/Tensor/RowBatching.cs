namespace AiGuard.Training.Simulation.Tensor;

/// <summary>How many rows a client puts in one request.</summary>
internal static class RowBatching
{
    private static readonly int[] ToolBatchSizes = [10, 16, 32, 50, 64, 100];
    private static readonly int[] ExtractionBatchSizes = [8, 16, 32, 64, 128];

    /// <summary>
    /// An attack tool's: most send one input per request, as a thin HTTP wrapper does; some
    /// forward their library's whole predict() batches (ART's default is 64 to 128 rows).
    /// </summary>
    public static int ForAttackTool(Random random) => random.NextDouble() < 0.6 ? 1 : random.Pick(ToolBatchSizes);

    /// <summary>An extraction tool's: labelling a data set, it sends one row per request in about a third of the runs, else a fixed batch.</summary>
    public static int ForExtraction(Random random) => random.NextDouble() < 0.35 ? 1 : random.Pick(ExtractionBatchSizes);
}
