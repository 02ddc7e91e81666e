using System.Text;
using System.Text.Json;
using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Protocol.Records;

namespace Samsa.Interop.Tests;

/// <summary>
/// The compression matrix: each real client produces with each codec it supports to a topic that keeps the producer's
/// codec; the segment files must hold batches in exactly that codec (librdkafka silently falls back to uncompressed
/// when the broker lacks a feature it keys the codec on), and every consumer that has the codec reads back identical
/// records. Consumers: kcat and kafka-python by manual assignment, confluent-kafka-python likewise, and KafkaJS
/// (through a consumer group) for the streams it can decode (none and gzip: KafkaJS 2.2.4 ships only gzip).
/// kafka-python writes snappy in the xerial framing, librdkafka raw snappy; kafka-python's codecs come from
/// python3-snappy, python3-lz4 and python3-zstandard.
/// </summary>
public sealed class CompressionInteropTests : IClassFixture<BrokerFixture>
{
    private const int RecordCount = 50;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(90);

    private readonly BrokerProcess _broker;

    public CompressionInteropTests(BrokerFixture fixture) => _broker = fixture.Broker;

    public static TheoryData<string, string> ProducersAndCodecs() => new()
    {
        { "kcat", "none" }, { "kcat", "gzip" }, { "kcat", "snappy" }, { "kcat", "lz4" }, { "kcat", "zstd" },
        { "kafka-python", "gzip" }, { "kafka-python", "snappy" }, { "kafka-python", "lz4" }, { "kafka-python", "zstd" },
        { "confluent-kafka-python", "gzip" }, { "confluent-kafka-python", "snappy" }, { "confluent-kafka-python", "lz4" }, { "confluent-kafka-python", "zstd" },
        { "kafkajs", "none" }, { "kafkajs", "gzip" },
    };

    [Theory]
    [MemberData(nameof(ProducersAndCodecs))]
    public Task Stream_is_stored_in_the_producers_codec_and_read_back_identically_by_every_consumer(string producer, string codec) =>
        InteropFailure.WithBrokerOutputAsync(_broker, async () =>
        {
            string topic = InteropFailure.NewTopic($"codec-{producer}-{codec}");
            string prefix = $"{producer}/{codec}";
            await InteropClients.ConfluentKafka.CreateTopicAsync(_broker.BootstrapServers, topic, 1);

            await ProduceAsync(producer, codec, topic, prefix);
            Assert.Equal([StoredBatches.CodecOf(codec)], StoredBatches.Codecs(_broker, topic, 1).Distinct());

            var consumers = new List<string> { "kcat", "kafka-python", "confluent-kafka-python" };
            if (codec is "none" or "gzip")
            {
                consumers.Add("kafkajs");
            }

            List<ConsumedRecord>? reference = null;
            foreach (string consumer in consumers)
            {
                List<ConsumedRecord> records = await ConsumeAsync(consumer, topic);
                Assert.True(records.Count == RecordCount, $"{consumer} read {records.Count} records of {RecordCount}");
                for (int i = 0; i < RecordCount; i++)
                {
                    ConsumedRecord r = records[i];
                    Assert.Equal(i, r.Offset);
                    Assert.Equal("k" + i, r.Key);
                    Assert.Equal(ValueOf(prefix, i), r.Value);
                    Assert.Equal([("codec", codec)], r.Headers);
                }

                if (reference is null)
                {
                    reference = records;
                }
                else
                {
                    Assert.Equal(reference, records);
                }
            }
        });

    [Theory]
    [InlineData("zstd", "gzip")]
    [InlineData("uncompressed", "snappy")]
    [InlineData("lz4", "zstd")]
    public Task Topic_compression_type_recompresses_what_clients_produce(string topicCodec, string producerCodec) =>
        InteropFailure.WithBrokerOutputAsync(_broker, async () =>
        {
            string topic = InteropFailure.NewTopic($"recompress-{topicCodec}");
            string prefix = $"recompress/{producerCodec}";
            await CreateTopicWithConfigAsync(topic, $"compression.type={topicCodec}");
            await ProduceAsync("confluent-kafka-python", producerCodec, topic, prefix);
            Assert.Equal([StoredBatches.CodecOf(topicCodec == "uncompressed" ? "none" : topicCodec)], StoredBatches.Codecs(_broker, topic, 1).Distinct());
            foreach (string consumer in new[] { "kcat", "kafka-python" })
            {
                List<ConsumedRecord> records = await ConsumeAsync(consumer, topic);
                Assert.Equal(Enumerable.Range(0, RecordCount).Select(i => ValueOf(prefix, i)), records.Select(r => r.Value));
            }
        });

    [Theory]
    [InlineData("confluent-kafka-python", "lz4")]
    [InlineData("kafka-python", "gzip")]
    public Task Log_append_time_topic_gives_consumers_the_brokers_time(string producer, string codec) =>
        InteropFailure.WithBrokerOutputAsync(_broker, async () =>
        {
            string topic = InteropFailure.NewTopic($"lat-{producer}");
            string prefix = $"lat/{codec}";
            await CreateTopicWithConfigAsync(topic, "message.timestamp.type=LogAppendTime");
            long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await ProduceAsync(producer, codec, topic, prefix);
            long after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            Assert.Equal([StoredBatches.CodecOf(codec)], StoredBatches.Codecs(_broker, topic, 1).Distinct());
            foreach (string consumer in new[] { "kcat", "kafka-python", "confluent-kafka-python" })
            {
                List<ConsumedRecord> records = await ConsumeAsync(consumer, topic);
                Assert.Equal(Enumerable.Range(0, RecordCount).Select(i => ValueOf(prefix, i)), records.Select(r => r.Value));
                // The producer set 1_700_000_000_000 + i; the broker's append time replaces it for every record.
                Assert.All(records, r => Assert.InRange(r.Timestamp, before - 1000, after + 1000));
            }
        });

    private static string ValueOf(string prefix, int i) =>
        $"{prefix}-{i}-" + string.Concat(Enumerable.Repeat($"lorem ipsum dolor sit amet {i % 7} ", 6));

    private async Task CreateTopicWithConfigAsync(string topic, string config)
    {
        string script = """
            import sys
            from confluent_kafka.admin import AdminClient, NewTopic
            bootstrap, topic, key, value = sys.argv[1], sys.argv[2], *sys.argv[3].split('=', 1)
            admin = AdminClient({'bootstrap.servers': bootstrap})
            admin.create_topics([NewTopic(topic, 1, 1, config={key: value})])[topic].result(30)
            """;
        await RunAsync("/usr/bin/python3", ["-c", script, _broker.BootstrapServers, topic, config]);
    }

    private async Task ProduceAsync(string producer, string codec, string topic, string prefix)
    {
        string bootstrap = _broker.BootstrapServers;
        switch (producer)
        {
            case "kcat":
                var input = new StringBuilder();
                for (int i = 0; i < RecordCount; i++)
                {
                    input.Append('k').Append(i).Append('\t').Append(ValueOf(prefix, i)).Append('\n');
                }

                ProcessResult kcat = await RunAsync("kcat",
                [
                    "-P", "-b", bootstrap, "-t", topic, "-p", "0", "-K", "\t", "-H", "codec=" + codec,
                    "-X", "compression.codec=" + codec, "-X", "linger.ms=20", "-X", "acks=all", "-X", "message.timeout.ms=60000",
                ], input.ToString());
                Assert.DoesNotContain("Delivery failed", kcat.Stderr, StringComparison.Ordinal);
                break;
            case "kafkajs":
                await RunAsync("node", [Path.Combine(ClientPaths.NodeDirectory, "kafkajs_compression.js"), "produce", bootstrap, topic, codec, prefix, RecordCount.ToString()],
                    workingDirectory: ClientPaths.NodeDirectory);
                break;
            default:
                await RunAsync("/usr/bin/python3",
                [
                    Path.Combine(ClientPaths.PythonDirectory, "compression_client.py"), "produce", "--client", producer,
                    "--bootstrap", bootstrap, "--topic", topic, "--codec", codec, "--prefix", prefix, "--count", RecordCount.ToString(),
                ]);
                break;
        }
    }

    private async Task<List<ConsumedRecord>> ConsumeAsync(string consumer, string topic)
    {
        string bootstrap = _broker.BootstrapServers;
        if (consumer == "kcat")
        {
            ProcessResult result = await RunAsync("kcat",
                ["-C", "-b", bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-c", RecordCount.ToString(), "-e", "-J", "-X", "check.crcs=true"]);
            var records = new List<ConsumedRecord>();
            foreach (string line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using JsonDocument json = JsonDocument.Parse(line);
                JsonElement root = json.RootElement;
                var headers = new List<(string, string)>();
                if (root.TryGetProperty("headers", out JsonElement h))
                {
                    for (int i = 0; i + 1 < h.GetArrayLength(); i += 2)
                    {
                        headers.Add((h[i].GetString()!, h[i + 1].GetString()!));
                    }
                }

                records.Add(new ConsumedRecord(root.GetProperty("offset").GetInt64(), root.GetProperty("key").GetString()!,
                    root.GetProperty("payload").GetString()!, headers, root.GetProperty("ts").GetInt64()));
            }

            return records;
        }

        ProcessResult output = consumer == "kafkajs"
            ? await RunAsync("node", [Path.Combine(ClientPaths.NodeDirectory, "kafkajs_compression.js"), "consume", bootstrap, topic, RecordCount.ToString()],
                workingDirectory: ClientPaths.NodeDirectory)
            : await RunAsync("/usr/bin/python3",
                [Path.Combine(ClientPaths.PythonDirectory, "compression_client.py"), "consume", "--client", consumer, "--bootstrap", bootstrap, "--topic", topic, "--count", RecordCount.ToString()]);
        using JsonDocument document = JsonDocument.Parse(output.Stdout.Trim().Split('\n')[^1]);
        var parsed = new List<ConsumedRecord>();
        foreach (JsonElement r in document.RootElement.GetProperty("records").EnumerateArray())
        {
            var headers = r.GetProperty("headers").EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!)).ToList();
            parsed.Add(new ConsumedRecord(r.GetProperty("offset").GetInt64(), r.GetProperty("key").GetString()!, r.GetProperty("value").GetString()!,
                headers, r.GetProperty("timestamp").GetInt64()));
        }

        return [.. parsed.OrderBy(r => r.Offset)];
    }

    private static async Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> arguments, string? input = null, string? workingDirectory = null)
    {
        ProcessResult result = await ClientProcess.RunAsync(program, arguments, ClientTimeout, input, workingDirectory);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }

    /// <summary>One record as a consumer reported it; equal across consumers when the streams are identical.</summary>
    private sealed record ConsumedRecord(long Offset, string Key, string Value, List<(string Key, string Value)> Headers, long Timestamp)
    {
        public bool Equals(ConsumedRecord? other) =>
            other is not null && Offset == other.Offset && Key == other.Key && Value == other.Value
            && Headers.SequenceEqual(other.Headers) && Timestamp == other.Timestamp;

        public override int GetHashCode() => HashCode.Combine(Offset, Key, Value, Timestamp);
    }
}
