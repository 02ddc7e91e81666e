using System.Globalization;
using Samsa.Client;
using Samsa.Client.Config;
using Samsa.Client.Consumer;
using Samsa.Protocol;

namespace Samsa.Cli.Commands.ConsoleTools;

/// <summary>
/// `samsa consume`: kafka-console-consumer. Subscribes a group to the topic (a random console-consumer-N group
/// without commits unless --group is given), or with --partition reads that one partition without a group from
/// --offset; writes each record with <see cref="DefaultMessageFormatter"/> (values only, one per line, by default),
/// and ends after --max-messages records, after --timeout-ms without a record, or on Ctrl+C. Prints
/// `Processed a total of N messages` to stderr at the end, as Kafka does. isolation.level defaults to
/// read_uncommitted, as in Kafka's tool.
/// </summary>
internal static class ConsoleConsumerCommand
{
    public const string Usage = """
        Usage: samsa consume --bootstrap-server HOST:PORT (--topic TOPIC | --include REGEX)
                             [--from-beginning] [--partition P [--offset earliest|latest|N]] [--group G]
                             [--max-messages N] [--timeout-ms MS] [--isolation-level read_committed|read_uncommitted]
                             [--property print.key=true] [--property print.timestamp=true] [--property print.partition=true]
                             [--property print.offset=true] [--property print.headers=true] [--property print.value=false]
                             [--property key.separator=SEP] [--property line.separator=SEP] [--property headers.separator=SEP]
                             [--property null.literal=TEXT]
                             [--consumer-property key=value] [--consumer-props key=value ...] [--consumer.config FILE]
          Like kafka-console-consumer: the enabled fields in the order CreateTime:ms, Partition:p, Offset:o,
          h1:v1,h2:v2, key, value, separated by key.separator (TAB), one record per line.
        """;

    /// <summary>How far past --timeout-ms a consumer call may block (joining a group, looking up offsets) before the run ends.</summary>
    private static readonly TimeSpan WatchdogGrace = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan PollSlice = TimeSpan.FromMilliseconds(100);

    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--from-beginning" };
    private static readonly HashSet<string> MultiValued = new(StringComparer.Ordinal) { "--consumer-props" };

    /// <param name="Topic">A topic name, or a '^' pattern from --include.</param>
    internal sealed record Options(
        string Topic,
        int? Partition,
        Offset StartOffset,
        long MaxMessages,
        long? TimeoutMs,
        Dictionary<string, string> FormatterProperties,
        List<KeyValuePair<string, string>> ConsumerProperties);

    internal static Options Parse(string[] args)
    {
        var a = new Arguments(args, Flags, MultiValued);
        string bootstrap = a.Require("--bootstrap-server");
        string? topicName = a.Get("--topic");
        string topic = ConsumerFactory.Subscription(topicName, a.Get("--include"));
        bool fromBeginning = a.Has("--from-beginning");
        int? partition = a.GetInt("--partition");
        string? offsetText = a.Get("--offset");
        string? group = a.Get("--group");
        long maxMessages = a.GetLong("--max-messages") ?? -1;
        long? timeoutMs = a.GetLong("--timeout-ms");
        string? isolation = a.Get("--isolation-level");
        var formatter = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in a.GetAll("--property").Select(p => ClientProperties.ParseWord(p, "--property")))
        {
            formatter[key] = value;
        }
        var words = a.GetAll("--consumer-property").Concat(a.GetAll("--consumer-props"));
        var properties = ClientProperties.Collect(a.Get("--consumer.config"), words, "--consumer-property");
        if (a.Positional.Count > 0)
        {
            throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        }
        a.RejectUnknown();

        if (partition < 0)
        {
            throw new UsageException("--partition must not be negative");
        }
        if (partition is not null && topicName is null)
        {
            throw new UsageException("--partition needs --topic");
        }
        if (offsetText is not null && partition is null)
        {
            throw new UsageException("the partition is required when offset is specified");
        }
        if (offsetText is not null && fromBeginning)
        {
            throw new UsageException("options --from-beginning and --offset cannot be given together");
        }
        if (group is not null && partition is not null)
        {
            throw new UsageException("options --group and --partition cannot be given together");
        }
        if (maxMessages == 0 || maxMessages < -1)
        {
            throw new UsageException("--max-messages should be greater than zero");
        }
        if (timeoutMs <= 0)
        {
            throw new UsageException("--timeout-ms should be greater than zero");
        }
        Offset start = offsetText switch
        {
            null => fromBeginning ? Offset.Beginning : Offset.End,
            "earliest" => Offset.Beginning,
            "latest" => Offset.End,
            _ when long.TryParse(offsetText, NumberStyles.None, CultureInfo.InvariantCulture, out long n) => new Offset(n),
            _ => throw new UsageException($"--offset expects earliest, latest or a non-negative offset, got '{offsetText}'"),
        };
        if (isolation is not null && isolation is not ("read_committed" or "read_uncommitted"))
        {
            throw new UsageException($"--isolation-level expects read_committed or read_uncommitted, got '{isolation}'");
        }

        var defaults = new List<KeyValuePair<string, string>>
        {
            new("client.id", "console-consumer"),
            new("isolation.level", "read_uncommitted"),
        };
        if (group is null)
        {
            defaults.Add(new("enable.auto.commit", "false"));
        }
        properties.InsertRange(0, defaults);
        properties.Add(new("auto.offset.reset", fromBeginning ? "earliest" : "latest"));
        properties.Add(new("group.id", group ?? properties.FindLast(p => p.Key == "group.id").Value
            ?? "console-consumer-" + Random.Shared.Next(100_000).ToString(CultureInfo.InvariantCulture)));
        if (isolation is not null)
        {
            properties.Add(new("isolation.level", isolation));
        }
        properties.Add(new("bootstrap.servers", bootstrap));
        return new Options(topic, partition, start, maxMessages, timeoutMs, formatter, properties);
    }

    public static Task<int> RunAsync(string[] args, Stream output, TextWriter error, CancellationToken cancellationToken = default, TimeProvider? time = null)
    {
        var options = Parse(args);
        time ??= TimeProvider.System;
        var formatter = new DefaultMessageFormatter(options.FormatterProperties);
        using var consumer = ConsumerFactory.Create(new ConsumerConfig(options.ConsumerProperties));
        using var watchdog = options.TimeoutMs is { } limit
            ? new ConsumerWatchdog(consumer, TimeSpan.FromMilliseconds(limit) + WatchdogGrace, time)
            : null;
        long count = 0;
        int exit = 0;
        try
        {
            if (options.Partition is { } partition)
            {
                consumer.Assign([new TopicPartitionOffset(options.Topic, partition, options.StartOffset)]);
            }
            else
            {
                consumer.Subscribe(options.Topic);
            }
            long lastRecord = time.GetTimestamp();
            while (options.MaxMessages < 0 || count < options.MaxMessages)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                // Short polls, so that Ctrl+C is noticed promptly whatever --timeout-ms is.
                var result = consumer.Consume(PollSlice);
                if (result is null)
                {
                    output.Flush();
                    if (options.TimeoutMs is { } ms && time.GetElapsedTime(lastRecord).TotalMilliseconds >= ms)
                    {
                        error.WriteLine($"samsa: no message within {ms} ms (--timeout-ms), stopping");
                        break;
                    }
                    continue;
                }
                lastRecord = time.GetTimestamp();
                watchdog?.Kick();
                if (result.IsPartitionEOF)
                {
                    continue;
                }
                var message = result.Message;
                formatter.Write(output, message.Timestamp.Type, message.Timestamp.UnixTimestampMs, result.Partition, result.Offset.Value,
                    message.Headers, message.Key, message.Value);
                count++;
            }
            if (options.Partition is null)
            {
                consumer.Close();
            }
        }
        catch (Exception e) when (watchdog?.Fired == true && e is ObjectDisposedException or OperationCanceledException or KafkaException)
        {
            error.WriteLine($"samsa: no message within {options.TimeoutMs} ms (--timeout-ms): the consumer is still waiting for the cluster, stopping");
        }
        catch (KafkaException e)
        {
            error.WriteLine($"samsa: {e.Message}");
            exit = 1;
        }
        output.Flush();
        error.WriteLine($"Processed a total of {count} messages");
        return Task.FromResult(exit);
    }
}
