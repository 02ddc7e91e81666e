using BenchmarkDotNet.Running;

namespace Samsa.Benchmarks;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "groups")
        {
            return await GroupPerf.RunAsync(args[1..]);
        }
        if (args.Length > 0 && args[0] == "fetch")
        {
            return await FetchPerf.RunAsync(args[1..]);
        }
        if (args.Length > 0 && args[0] == "append")
        {
            return AppendPerf.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "recovery")
        {
            return RecoveryPerf.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "recovery-writer")
        {
            return RecoveryPerf.RunWriter(args[1..]);
        }

        if (args.Length > 0 && args[0] == "durability")
        {
            return await DurabilityPerf.RunAsync(args[1..]);
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
