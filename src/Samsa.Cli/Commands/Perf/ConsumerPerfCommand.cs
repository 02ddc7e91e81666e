using System.Globalization;
using Samsa.Client;
using Samsa.Client.Config;
using Samsa.Client.Consumer;
using Samsa.Protocol;

namespace Samsa.Cli.Commands.Perf;

/// <summary>
/// `samsa perf consume`: kafka-consumer-perf-test. Subscribes a group to the topic (from the earliest offset unless
/// --from-latest), reads until --messages records have arrived or none has for --timeout ms, counting key and value
/// bytes, and prints Kafka's CSV header and summary line (and interval lines with --show-detailed-stats).
/// </summary>
internal static class ConsumerPerfCommand
{
    public const string Usage = """
        Usage: samsa perf consume --bootstrap-server HOST:PORT (--topic TOPIC | --include REGEX) --messages N [--group G] [--timeout MS]
                                  [--from-latest] [--fetch-size BYTES] [--reporting-interval MS]
                                  [--consumer-props key=value ...] [--consumer.config FILE]
                                  [--show-detailed-stats] [--hide-header] [--print-metrics]
          Like kafka-consumer-perf-test:
            start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
            2026-01-01 10:00:00:000, 2026-01-01 10:00:01:250, 95.3674, 76.2939, 1000000, 800000.0000, 120, 1130, 84.3960, 884955.7522
          (times yyyy-MM-dd HH:mm:ss:SSS, MB = 1024*1024 bytes of keys and values). --timeout (default 10000) is the longest
          wait between records; the run ends early with a WARNING line when it passes.
        """;

    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal)
    {
        "--from-latest", "--show-detailed-stats", "--hide-header", "--print-metrics",
    };

    private static readonly HashSet<string> MultiValued = new(StringComparer.Ordinal) { "--consumer-props" };

    /// <param name="Topic">A topic name, or a '^' pattern from --include.</param>
    internal sealed record Options(
        string Topic,
        long Messages,
        long TimeoutMs,
        long ReportingIntervalMs,
        bool ShowDetailedStats,
        bool HideHeader,
        bool PrintMetrics,
        List<KeyValuePair<string, string>> ConsumerProperties);

    internal static Options Parse(string[] args)
    {
        var a = new Arguments(args, Flags, MultiValued);
        string? bootstrap = a.Get("--bootstrap-server");
        string topic = ConsumerFactory.Subscription(a.Get("--topic"), a.Get("--include"));
        long messages = a.GetLong("--messages") ?? throw new UsageException("missing required option --messages");
        string group = a.Get("--group") ?? "perf-consumer-" + Random.Shared.Next(100_000).ToString(CultureInfo.InvariantCulture);
        long timeout = a.GetLong("--timeout") ?? 10_000;
        long interval = a.GetLong("--reporting-interval") ?? 5_000;
        int? fetchSize = a.GetInt("--fetch-size");
        bool fromLatest = a.Has("--from-latest");
        bool detailed = a.Has("--show-detailed-stats");
        bool hideHeader = a.Has("--hide-header");
        bool printMetrics = a.Has("--print-metrics");
        var properties = ClientProperties.Collect(a.Get("--consumer.config"), a.GetAll("--consumer-props"), "--consumer-props");
        if (a.Positional.Count > 0)
        {
            throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        }
        a.RejectUnknown();
        if (messages <= 0)
        {
            throw new UsageException("--messages should be greater than zero");
        }
        if (timeout <= 0)
        {
            throw new UsageException("--timeout should be greater than zero");
        }
        if (interval <= 0)
        {
            throw new UsageException("--reporting-interval should be greater than zero");
        }
        if (fetchSize <= 0)
        {
            throw new UsageException("--fetch-size should be greater than zero");
        }
        var defaults = new List<KeyValuePair<string, string>>
        {
            new("client.id", "perf-consumer-client"),
            new("auto.offset.reset", fromLatest ? "latest" : "earliest"),
        };
        if (fetchSize is not null)
        {
            defaults.Add(new("max.partition.fetch.bytes", fetchSize.Value.ToString(CultureInfo.InvariantCulture)));
        }
        properties.InsertRange(0, defaults);
        properties.Add(new("group.id", group));
        if (bootstrap is not null)
        {
            properties.Add(new("bootstrap.servers", bootstrap));
        }
        if (!properties.Exists(p => p.Key is "bootstrap.servers" or "metadata.broker.list"))
        {
            throw new UsageException("missing required option --bootstrap-server (or bootstrap.servers in --consumer-props or --consumer.config)");
        }
        return new Options(topic, messages, timeout, interval, detailed, hideHeader, printMetrics, properties);
    }

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool interactive, TimeProvider? time = null)
    {
        var options = Parse(args);
        time ??= TimeProvider.System;
        var zone = time.LocalTimeZone;
        if (!options.HideHeader)
        {
            output.WriteLine(ConsumerPerfReport.Header(options.ShowDetailedStats));
        }
        long startMs = Now(time);
        var rebalance = new RebalanceTimer(time, startMs);
        using var consumer = ConsumerFactory.Builder(new ConsumerConfig(options.ConsumerProperties))
            .SetPartitionsAssignedHandler((_, partitions) => rebalance.Assigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => rebalance.Revoked(partitions))
            .Build();
        using var watchdog = new ConsumerWatchdog(consumer, TimeSpan.FromMilliseconds(options.TimeoutMs) + WatchdogGrace, time);
        var progress = new ProgressBar(output, interactive, time, options.Messages, "messages");
        var counter = new RecordCounter();
        consumer.Subscribe(options.Topic);
        long nowMs = startMs;
        long lastReportMs = startMs;
        long lastConsumedMs = startMs;
        long lastBytes = 0;
        long lastMessages = 0;
        try
        {
            while (counter.Messages < options.Messages && nowMs - lastConsumedMs <= options.TimeoutMs)
            {
                int read = consumer.ConsumeBatch(counter, PollTimeout);
                nowMs = Now(time);
                if (read > 0)
                {
                    lastConsumedMs = nowMs;
                    watchdog.Kick();
                }
                if (nowMs - lastReportMs >= options.ReportingIntervalMs)
                {
                    if (options.ShowDetailedStats)
                    {
                        progress.WriteLine(ConsumerPerfReport.Interval(lastReportMs, nowMs, zone, counter.Bytes, lastBytes, counter.Messages, lastMessages, rebalance.JoinTimeMsInInterval));
                    }
                    rebalance.StartInterval();
                    lastReportMs = nowMs;
                    lastBytes = counter.Bytes;
                    lastMessages = counter.Messages;
                }
                progress.Update(counter.Messages);
            }
        }
        catch (Exception e) when (watchdog.Fired && e is ObjectDisposedException or OperationCanceledException or KafkaException)
        {
            // Stuck joining the group or looking up offsets past --timeout: Kafka's tool ends the same way.
        }
        catch (KafkaException e)
        {
            progress.Clear();
            error.WriteLine($"samsa: {e.Message}");
            return Task.FromResult(1);
        }
        progress.Clear();
        if (counter.Messages < options.Messages)
        {
            output.WriteLine(ConsumerPerfReport.TimeoutWarning(options.TimeoutMs));
        }
        long endMs = Now(time);
        try
        {
            watchdog.Kick();
            consumer.Close();
        }
        catch (Exception e) when (watchdog.Fired && e is ObjectDisposedException or OperationCanceledException or KafkaException)
        {
            // Leaving the group took too long; the coordinator drops the member after session.timeout.ms.
        }
        if (!options.ShowDetailedStats)
        {
            output.WriteLine(ConsumerPerfReport.Summary(startMs, endMs, zone, counter.Bytes, counter.Messages, rebalance.JoinTimeMs));
        }
        if (options.PrintMetrics)
        {
            PrintMetrics(output, options.ConsumerProperties.FindLast(p => p.Key == "client.id").Value ?? "perf-consumer-client", counter, (endMs - startMs) / 1000.0);
        }
        return Task.FromResult(0);
    }

    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>How far past --timeout a consumer call may block (joining the group, looking up offsets) before the run ends.</summary>
    private static readonly TimeSpan WatchdogGrace = TimeSpan.FromSeconds(1);

    private static long Now(TimeProvider time) => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Kafka's metrics table (`name : value` with three decimals), from what the tool itself counted.</summary>
    private static void PrintMetrics(TextWriter output, string clientId, RecordCounter counter, double seconds)
    {
        string tags = $"{{client-id={clientId}}}";
        var metrics = new (string Name, double Value)[]
        {
            ($"consumer-fetch-manager-metrics:bytes-consumed-rate:{tags}", counter.Bytes / seconds),
            ($"consumer-fetch-manager-metrics:bytes-consumed-total:{tags}", counter.Bytes),
            ($"consumer-fetch-manager-metrics:records-consumed-rate:{tags}", counter.Messages / seconds),
            ($"consumer-fetch-manager-metrics:records-consumed-total:{tags}", counter.Messages),
        };
        int width = metrics.Max(m => m.Name.Length);
        output.WriteLine();
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}   {1}", "Metric Name".PadRight(width), "Value"));
        foreach (var (name, value) in metrics)
        {
            output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} : {1:F3}", name.PadRight(width), value));
        }
    }

    /// <summary>
    /// Counts records and their key and value bytes as <see cref="IConsumer{TKey, TValue}.ConsumeBatch"/> hands them
    /// over, allocating nothing. Not thread-safe: the consuming thread owns it.
    /// </summary>
    internal sealed class RecordCounter : IRecordVisitor
    {
        public long Messages { get; private set; }

        public long Bytes { get; private set; }

        public void OnRecord(in ConsumedRecord record)
        {
            Messages++;
            Bytes += record.Key.Length + record.Value.Length;
        }
    }

    /// <summary>
    /// Time spent joining the group, as Kafka's tool measures it: from the start (or from the revocation that
    /// emptied the assignment) to the next assignment. Not thread-safe: the handlers run on the consuming thread.
    /// </summary>
    internal sealed class RebalanceTimer(TimeProvider time, long startMs)
    {
        private readonly HashSet<TopicPartition> _assigned = [];
        private long _joinStartMs = startMs;

        public long JoinTimeMs { get; private set; }

        public long JoinTimeMsInInterval { get; private set; }

        public void Assigned(List<TopicPartition> partitions)
        {
            if (_assigned.Count == 0)
            {
                long elapsed = time.GetUtcNow().ToUnixTimeMilliseconds() - _joinStartMs;
                JoinTimeMs += elapsed;
                JoinTimeMsInInterval += elapsed;
            }
            _assigned.UnionWith(partitions);
        }

        public void Revoked(List<TopicPartitionOffset> partitions)
        {
            foreach (var p in partitions)
            {
                _assigned.Remove(p.TopicPartition);
            }
            if (_assigned.Count == 0)
            {
                _joinStartMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            }
        }

        public void StartInterval() => JoinTimeMsInInterval = 0;
    }
}
