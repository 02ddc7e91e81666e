namespace Samsa.Cli.Commands.Perf;

/// <summary>`samsa perf produce|consume|e2e`: Kafka's perf-test tools. Dispatches to the subcommand.</summary>
internal static class PerfCommand
{
    public const string Usage = """
        Usage: samsa perf produce --bootstrap-server HOST:PORT --topic T --num-records N (--record-size S | --payload-file F)
                                  --throughput T [--producer-props k=v ...] [--producer.config FILE] [--print-metrics]
               samsa perf consume --bootstrap-server HOST:PORT --topic T --messages N [--group G] [--timeout MS]
                                  [--consumer-props k=v ...] [--consumer.config FILE] [--show-detailed-stats] [--hide-header]
               samsa perf e2e     --bootstrap-server HOST:PORT --topic T --num-records N --record-size S
                                  [--producer-props k=v ...] [--consumer-props k=v ...]
          Run `samsa perf <tool> --help` for a tool's options and output format.
        """;

    /// <summary>The help of the subcommand named first in <paramref name="args"/>, else the overview.</summary>
    public static string UsageFor(string[] args) => args.Length == 0 ? Usage : args[0] switch
    {
        "produce" => ProducerPerfCommand.Usage,
        "consume" => ConsumerPerfCommand.Usage,
        "e2e" => EndToEndLatencyCommand.Usage,
        _ => Usage,
    };

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool interactive) =>
        args.Length == 0 ? throw new UsageException("name a tool: produce, consume or e2e") : args[0] switch
        {
            "produce" => ProducerPerfCommand.RunAsync(args[1..], output, error, interactive),
            "consume" => ConsumerPerfCommand.RunAsync(args[1..], output, error, interactive),
            "e2e" => EndToEndLatencyCommand.RunAsync(args[1..], output, error, interactive),
            _ => throw new UsageException($"unknown perf tool '{args[0]}' (produce, consume, e2e)"),
        };
}
