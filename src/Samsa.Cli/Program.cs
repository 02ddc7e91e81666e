using Samsa.Cli.Commands;
using Samsa.Cli.Commands.ConsoleTools;
using Samsa.Cli.Commands.Perf;

namespace Samsa.Cli;

internal static class Program
{
    private const string Usage = """
        Usage: samsa <command> [options]

        Commands:
          server start [server.properties] [--override key=value ...]   run a broker in the foreground
          topics --create|--list|--describe|--delete --bootstrap-server HOST:PORT ...
          consumer-groups --list|--describe|--reset-offsets|--delete --bootstrap-server HOST:PORT ...
          transactions --list|--describe --transactional-id ID --bootstrap-server HOST:PORT
          dump-log <file> [<file> ...] [--print-data-log] [--verify-index-only]   print and check segment files
          produce --bootstrap-server HOST:PORT --topic T [--property parse.key=true ...]   lines of stdin as records
          consume --bootstrap-server HOST:PORT --topic T [--from-beginning] [--property print.key=true ...]   records to stdout
          perf produce|consume|e2e --bootstrap-server HOST:PORT --topic T ...   Kafka's perf-test tools

        Run `samsa <command> --help` for a command's options.
        """;

    private static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.Out.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        string command = args[0];
        string[] rest = args[1..];
        string usage = command switch
        {
            "server" => ServerCommand.Usage,
            "topics" => TopicsCommand.Usage,
            "consumer-groups" => ConsumerGroupsCommand.Usage,
            "transactions" => TransactionsCommand.Usage,
            "dump-log" => DumpLogCommand.Usage,
            "produce" => ConsoleProducerCommand.Usage,
            "consume" => ConsoleConsumerCommand.Usage,
            "perf" => PerfCommand.UsageFor(rest),
            _ => Usage,
        };
        if (rest.Contains("--help") || rest.Contains("-h"))
        {
            Console.Out.WriteLine(usage);
            return 0;
        }
        try
        {
            return command switch
            {
                "server" => await ServerCommand.RunAsync(rest).ConfigureAwait(false),
                "topics" => await TopicsCommand.RunAsync(rest, Console.Out).ConfigureAwait(false),
                "consumer-groups" => await ConsumerGroupsCommand.RunAsync(rest, Console.Out).ConfigureAwait(false),
                "transactions" => await TransactionsCommand.RunAsync(rest, Console.Out).ConfigureAwait(false),
                "dump-log" => DumpLogCommand.Run(rest, Console.Out),
                "produce" => await ConsoleProducerCommand.RunAsync(rest, Console.In, Console.Error, Console.IsInputRedirected ? null : Console.Out).ConfigureAwait(false),
                "consume" => await RunConsoleConsumerAsync(rest).ConfigureAwait(false),
                "perf" => await PerfCommand.RunAsync(rest, Console.Out, Console.Error, !Console.IsOutputRedirected).ConfigureAwait(false),
                _ => throw new UsageException($"unknown command '{command}'"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"samsa: {e.Message}");
            Console.Error.WriteLine(usage);
            return 2;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"samsa: {e.Message}");
            return 2;
        }
    }

    /// <summary>Records go to stdout as raw bytes; Ctrl+C ends the run cleanly with the total printed.</summary>
    private static async Task<int> RunConsoleConsumerAsync(string[] args)
    {
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            await using var stdout = Console.OpenStandardOutput();
            return await ConsoleConsumerCommand.RunAsync(args, stdout, Console.Error, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
