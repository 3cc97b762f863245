using AiGuard.Anomaly;

namespace AiGuard.Cli.Anomaly;

/// <summary>Turns expected failures into one line on stderr and exit code 1, without a stack trace.</summary>
internal static class CliErrors
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is AnomalyModelException or AiGuard.Inspection.Injection.InjectionModelException or InvalidDataException or IOException
                                       or UnauthorizedAccessException or ArgumentException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
