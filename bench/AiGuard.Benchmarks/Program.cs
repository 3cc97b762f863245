namespace AiGuard.Benchmarks;

internal static class Program
{
    private static void Main(string[] args)
    {
        // --loop <chat|infer> <seconds>: run one pipeline benchmark in a plain loop, for a profiler to attach to.
        if (args is ["--loop", var which, var seconds])
        {
            var benchmarks = new GatewayPipelineBenchmarks();
            benchmarks.Setup();
            var until = DateTime.UtcNow.AddSeconds(int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
            var count = 0L;
            while (DateTime.UtcNow < until)
            {
                for (var i = 0; i < 10_000; i++)
                {
                    (which == "chat" ? benchmarks.Chat() : benchmarks.Infer()).GetAwaiter().GetResult();
                }

                count += 10_000;
            }

            Console.WriteLine($"{count} iterations");
            return;
        }

        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
