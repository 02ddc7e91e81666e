using System.Globalization;
using Samsa.Client;
using Samsa.Client.Admin;
using Samsa.Client.Config;
using Samsa.Client.Producer;
using Samsa.Protocol;

namespace Samsa.Cli.Commands.Perf;

/// <summary>
/// `samsa perf e2e`: Kafka's EndToEndLatency. Produces one record, waits until the consumer (assigned to every
/// partition at its end, no group) has it back, and repeats; prints `i<TAB>ms` every 1000 records, then
/// `Avg latency: A ms` and `Percentiles: 50th = P, 99th = P, 99.9th = P` (whole milliseconds). The producer sends
/// at once (linger.ms=0) and the consumer's fetches do not wait (fetch.max.wait.ms=0), unless the props say otherwise.
/// A missing topic is created with one partition.
/// </summary>
internal static class EndToEndLatencyCommand
{
    public const string Usage = """
        Usage: samsa perf e2e --bootstrap-server HOST:PORT --topic TOPIC --num-records N --record-size BYTES
                              [--producer-props key=value ...] [--consumer-props key=value ...] [--precise]
          Like Kafka's EndToEndLatency: one record at a time, produced then consumed back; prints
            Avg latency: 1.2345 ms
            Percentiles: 50th = 1, 99th = 3, 99.9th = 7
          (whole milliseconds, truncated, as Kafka prints them; --precise prints them with three decimals).
          acks must be 1 or all (default all).
        """;

    private static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(60);
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--precise" };
    private static readonly HashSet<string> MultiValued = new(StringComparer.Ordinal) { "--producer-props", "--consumer-props" };

    internal sealed record Options(
        string Bootstrap,
        string Topic,
        int NumRecords,
        int RecordSize,
        List<KeyValuePair<string, string>> ProducerProperties,
        List<KeyValuePair<string, string>> ConsumerProperties,
        bool Precise);

    internal static Options Parse(string[] args)
    {
        var a = new Arguments(args, Flags, MultiValued);
        string bootstrap = a.Require("--bootstrap-server");
        string topic = a.Require("--topic");
        int numRecords = a.GetInt("--num-records") ?? throw new UsageException("missing required option --num-records");
        int recordSize = a.GetInt("--record-size") ?? throw new UsageException("missing required option --record-size");
        var producer = ClientProperties.Collect(a.Get("--producer.config"), a.GetAll("--producer-props"), "--producer-props");
        var consumer = ClientProperties.Collect(a.Get("--consumer.config"), a.GetAll("--consumer-props"), "--consumer-props");
        bool precise = a.Has("--precise");
        if (a.Positional.Count > 0)
        {
            throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        }
        a.RejectUnknown();
        if (numRecords <= 0)
        {
            throw new UsageException("--num-records should be greater than zero");
        }
        if (recordSize <= 0)
        {
            throw new UsageException("--record-size should be greater than zero");
        }
        if (producer.FindLast(p => p.Key is "acks" or "request.required.acks") is { Key: not null } acks && acks.Value.Trim() is not ("1" or "all" or "-1"))
        {
            throw new UsageException("Latency testing requires synchronous acknowledgement. Please use acks 1 or all");
        }
        producer.InsertRange(0, [new("client.id", "e2e-latency-producer"), new("linger.ms", "0"), new("acks", "all")]);
        producer.Add(new("bootstrap.servers", bootstrap));
        consumer.InsertRange(0, [new("client.id", "e2e-latency-consumer"), new("fetch.max.wait.ms", "0"), new("enable.auto.commit", "false")]);
        consumer.Add(new("bootstrap.servers", bootstrap));
        return new Options(bootstrap, topic, numRecords, recordSize, producer, consumer, precise);
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool interactive, TimeProvider? time = null)
    {
        var options = Parse(args);
        try
        {
            return await RunAsync(options, output, error, interactive, time ?? TimeProvider.System).ConfigureAwait(false);
        }
        catch (KafkaException e)
        {
            error.WriteLine($"samsa: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> RunAsync(Options options, TextWriter output, TextWriter error, bool interactive, TimeProvider time)
    {
        var producerConfig = new ProducerConfig(options.ProducerProperties);
        var consumerConfig = new ConsumerConfig(options.ConsumerProperties);
        var partitions = await PartitionsAsync(options.Bootstrap, options.Topic, output).ConfigureAwait(false);

        var producer = KafkaProducer.Create(producerConfig);
        await using (producer.ConfigureAwait(false))
        {
            using var consumer = ConsumerFactory.Create(consumerConfig);
            var start = new List<TopicPartitionOffset>();
            foreach (int p in partitions)
            {
                var tp = new TopicPartition(options.Topic, p);
                start.Add(new TopicPartitionOffset(tp, consumer.QueryWatermarkOffsets(tp, PollTimeout).High));
            }
            consumer.Assign(start);

            var progress = new ProgressBar(output, interactive, time, options.NumRecords, "records");
            var delivery = new SingleDelivery();
            var random = new Random(0);
            var message = new byte[options.RecordSize];
            var latenciesMs = new double[options.NumRecords];
            double totalMs = 0;
            for (int i = 0; i < options.NumRecords; i++)
            {
                Array.Fill(message, (byte)('A' + random.Next(26)));
                long begin = time.GetTimestamp();
                producer.Produce(new ProduceRecord(options.Topic, message), delivery, i);
                var info = delivery.Wait();
                if (!info.IsSuccess)
                {
                    progress.Clear();
                    error.WriteLine($"samsa: record {i} failed: {info.Error} {info.Reason}");
                    return 1;
                }
                var record = consumer.Consume(PollTimeout);
                double elapsedMs = time.GetElapsedTime(begin).TotalMilliseconds;
                if (record is null)
                {
                    progress.Clear();
                    error.WriteLine($"samsa: consume timed out before finding a result (timeout: {PollTimeout.TotalMilliseconds} ms)");
                    return 1;
                }
                if (record.Message.Value is not { } read || !read.AsSpan().SequenceEqual(message))
                {
                    progress.Clear();
                    error.WriteLine($"samsa: the record read at {record.TopicPartitionOffset} did not match the record sent");
                    return 1;
                }
                if (i % 1000 == 0)
                {
                    progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i}\t{JavaDouble(elapsedMs)}"));
                }
                totalMs += elapsedMs;
                latenciesMs[i] = elapsedMs;
                progress.Update(i + 1);
            }
            progress.Clear();
            foreach (var line in Results(totalMs, latenciesMs, options.Precise))
            {
                output.WriteLine(line);
            }
            return 0;
        }
    }

    /// <summary>
    /// The two result lines: the sample at floor(p * count) for each percentile, truncated to whole milliseconds as
    /// Kafka prints it, or with three decimals when <paramref name="precise"/>. Sorts <paramref name="latenciesMs"/>.
    /// </summary>
    internal static string[] Results(double totalMs, double[] latenciesMs, bool precise = false)
    {
        Array.Sort(latenciesMs);
        string P(double p)
        {
            double value = latenciesMs[(int)(latenciesMs.Length * p)];
            return precise ? value.ToString("F3", CultureInfo.InvariantCulture) : ((long)value).ToString(CultureInfo.InvariantCulture);
        }
        return
        [
            string.Create(CultureInfo.InvariantCulture, $"Avg latency: {totalMs / latenciesMs.Length:F4} ms"),
            $"Percentiles: 50th = {P(0.5)}, 99th = {P(0.99)}, 99.9th = {P(0.999)}",
        ];
    }

    /// <summary>A double as Java prints it for ordinary magnitudes: shortest round trip, at least one decimal.</summary>
    internal static string JavaDouble(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text : text + ".0";
    }

    private static async Task<IReadOnlyList<int>> PartitionsAsync(string bootstrap, string topic, TextWriter output)
    {
        await using var admin = await AdminClient.ConnectAsync(bootstrap).ConfigureAwait(false);
        try
        {
            var description = (await admin.DescribeTopicsAsync([topic]).ConfigureAwait(false)).Single();
            if (description.Partitions.Count > 0)
            {
                return description.Partitions.Select(p => p.Partition).ToList();
            }
        }
        catch (KafkaException e) when (e.Error == ErrorCode.UnknownTopicOrPartition)
        {
        }
        output.WriteLine($"Topic \"{topic}\" does not exist. Will create topic with 1 partition(s) and replication factor = 1");
        await admin.CreateTopicAsync(topic, 1, 1, new Dictionary<string, string>()).ConfigureAwait(false);
        return [0];
    }

    /// <summary>Hands one delivery outcome from a client thread to the waiting sender. Thread-safe.</summary>
    private sealed class SingleDelivery : IDeliveryHandler
    {
        private readonly SemaphoreSlim _delivered = new(0);
        private DeliveryInfo _info;

        public void OnDelivery(long token, in DeliveryInfo info)
        {
            _info = info;
            _delivered.Release();
        }

        public DeliveryInfo Wait()
        {
            _delivered.Wait();
            return _info;
        }
    }
}
