using Samsa.Client;
using Samsa.Client.Config;
using Samsa.Client.Producer;

namespace Samsa.Cli.Commands.ConsoleTools;

/// <summary>
/// `samsa produce`: kafka-console-producer. Reads lines from stdin, turns each into a record with
/// <see cref="LineMessageReader"/> (--property parse.key, key.separator, parse.headers, ...), and sends it; at end of
/// input it waits for every record to be acknowledged. With Kafka's defaults: acks=all, linger.ms=1000 (--timeout),
/// client.id console-producer. A delivery failure is printed to stderr and makes the exit code 1.
/// </summary>
internal static class ConsoleProducerCommand
{
    public const string Usage = """
        Usage: samsa produce --bootstrap-server HOST:PORT --topic TOPIC
                             [--property parse.key=true] [--property key.separator=SEP] [--property parse.headers=true]
                             [--property headers.delimiter=D] [--property headers.separator=S] [--property headers.key.separator=K]
                             [--property null.marker=M] [--property ignore.error=true]
                             [--compression-codec none|gzip|snappy|lz4|zstd] [--request-required-acks 0|1|all]
                             [--timeout LINGER_MS] [--batch-size BYTES] [--sync]
                             [--producer-property key=value] [--producer-props key=value ...] [--producer.config FILE]
          Like kafka-console-producer: one record per line of stdin; with parse.headers and parse.key a line reads
          h1:v1,h2:v2<TAB>key<TAB>value.
        """;

    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--sync" };
    private static readonly HashSet<string> MultiValued = new(StringComparer.Ordinal) { "--producer-props" };

    internal sealed record Options(string Topic, List<KeyValuePair<string, string>> ProducerProperties, Dictionary<string, string> ReaderProperties, bool Sync);

    internal static Options Parse(string[] args)
    {
        var a = new Arguments(args, Flags, MultiValued);
        string bootstrap = a.Require("--bootstrap-server");
        string topic = a.Require("--topic");
        var readerProperties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in a.GetAll("--property").Select(p => ClientProperties.ParseWord(p, "--property")))
        {
            readerProperties[key] = value;
        }
        var defaults = new List<KeyValuePair<string, string>>
        {
            new("client.id", "console-producer"),
            new("linger.ms", "1000"),
        };
        if (a.Get("--compression-codec") is { } codec)
        {
            defaults.Add(new("compression.type", codec));
        }
        if (a.Get("--request-required-acks") is { } acks)
        {
            defaults.Add(new("acks", acks));
        }
        if (a.GetInt("--timeout") is { } linger)
        {
            defaults[1] = new("linger.ms", linger.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (a.GetInt("--batch-size") is { } batchSize)
        {
            defaults.Add(new("batch.size", batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        bool sync = a.Has("--sync");
        var words = a.GetAll("--producer-property").Concat(a.GetAll("--producer-props"));
        var properties = ClientProperties.Collect(a.Get("--producer.config"), words, "--producer-property");
        if (a.Positional.Count > 0)
        {
            throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        }
        a.RejectUnknown();
        properties.InsertRange(0, defaults);
        properties.Add(new("bootstrap.servers", bootstrap));
        return new Options(topic, properties, readerProperties, sync);
    }

    /// <param name="prompt">Where to print Kafka's `>` prompt before each line (stdin is a terminal), or null.</param>
    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter error, TextWriter? prompt = null)
    {
        var options = Parse(args);
        var reader = new LineMessageReader(options.ReaderProperties);
        var handler = new ReportingHandler(error);
        var producer = KafkaProducer.Create(new ProducerConfig(options.ProducerProperties));
        await using (producer.ConfigureAwait(false))
        {
            long sent = 0;
            try
            {
                while (await ReadLineAsync(input, prompt).ConfigureAwait(false) is { } line)
                {
                    var record = reader.Parse(line);
                    producer.Produce(new ProduceRecord(options.Topic, record.Value)
                    {
                        Key = record.Key,
                        KeyIsNull = record.Key is null,
                        ValueIsNull = record.Value is null,
                        Headers = record.Headers,
                    }, handler, sent++);
                    if (options.Sync)
                    {
                        await producer.FlushAsync().ConfigureAwait(false);
                    }
                }
                await producer.FlushAsync().ConfigureAwait(false);
            }
            catch (FormatException e)
            {
                await producer.FlushAsync().ConfigureAwait(false);
                error.WriteLine($"samsa: {e.Message}");
                return 1;
            }
            catch (KafkaException e)
            {
                error.WriteLine($"samsa: {e.Message}");
                return 1;
            }
            return handler.Failed > 0 ? 1 : 0;
        }
    }

    private static Task<string?> ReadLineAsync(TextReader input, TextWriter? prompt)
    {
        if (prompt is not null)
        {
            prompt.Write('>');
            prompt.Flush();
        }
        return input.ReadLineAsync();
    }

    /// <summary>Prints each failed record to stderr, as Kafka's ErrorLoggingCallback does. Thread-safe.</summary>
    private sealed class ReportingHandler(TextWriter error) : IDeliveryHandler
    {
        private long _failed;

        public long Failed => Interlocked.Read(ref _failed);

        public void OnDelivery(long token, in DeliveryInfo info)
        {
            if (!info.IsSuccess)
            {
                Interlocked.Increment(ref _failed);
                error.WriteLine($"samsa: error when sending line {token + 1} to topic {info.Topic}: {info.Error} {info.Reason}");
            }
        }
    }
}
