using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Samsa.Broker;
using Samsa.Broker.Config;

namespace Samsa.Cli.Commands;

/// <summary>`samsa server start [server.properties] [--override key=value ...]`: a broker in the foreground.</summary>
internal static class ServerCommand
{
    public const string Usage = """
        Usage: samsa server start [server.properties] [--override key=value ...]

        Runs a broker in the foreground until SIGTERM or Ctrl-C. Settings use Kafka's property names,
        from the file, then SAMSA_* environment variables (SAMSA_LOG_DIRS=... sets log.dirs), then --override.
        Defaults: listeners=PLAINTEXT://127.0.0.1:9092, log.dirs=./data.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var started = Stopwatch.StartNew();
        if (args.Length == 0 || args[0] != "start")
        {
            throw new UsageException(args.Length == 0 ? "missing subcommand: start" : $"unknown subcommand '{args[0]}'");
        }
        var options = new Arguments(args.Skip(1), new HashSet<string>());
        var overrides = options.GetAll("--override");
        options.RejectUnknown();
        if (options.Positional.Count > 1)
        {
            throw new UsageException("at most one properties file");
        }
        string? file = options.Positional.Count == 1 ? options.Positional[0] : null;

        BrokerConfig config;
        try
        {
            var loaded = BrokerConfigLoader.Load(file, overrides, BrokerConfigLoader.ProcessEnvironment());
            foreach (var warning in loaded.Warnings)
            {
                Console.Error.WriteLine($"WARN {warning}");
            }
            config = loaded.Config;
        }
        catch (ConfigException e)
        {
            Console.Error.WriteLine($"samsa: {e.Message}");
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(ParseLevel(Environment.GetEnvironmentVariable("SAMSA_LOG_LEVEL")));
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
                o.IncludeScopes = false;
            });
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });

        SamsaBroker broker;
        try
        {
            broker = await SamsaBroker.StartAsync(config, loggerFactory).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ConfigException or InvalidOperationException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            Console.Error.WriteLine($"samsa: cannot start the broker: {e.Message}");
            return 1;
        }

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });

        foreach (var (name, endPoint) in broker.BoundEndpoints)
        {
            Console.Out.WriteLine($"Samsa broker {config.BrokerId} ready on {name}://{endPoint} (started in {started.ElapsedMilliseconds} ms, data in {string.Join(",", config.LogDirs.Select(Path.GetFullPath))})");
        }
        Console.Out.Flush();

        await stop.Task.ConfigureAwait(false);
        Console.Error.WriteLine("samsa: shutting down");
        await broker.StopAsync().ConfigureAwait(false);
        return 0;
    }

    private static LogLevel ParseLevel(string? value) =>
        Enum.TryParse<LogLevel>(value, ignoreCase: true, out var level) ? level : LogLevel.Information;
}
