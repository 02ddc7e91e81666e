using System.Globalization;
using System.Text;
using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Interop.Tests.Model;

namespace Samsa.Interop.Tests.SamsaClient;

/// <summary>
/// Samsa.Client against clients nobody here wrote, through a Samsa broker process, per compression codec.
/// Samsa.Client's producer writes the mixed record set (three partitions, UTF-8 keys and headers, null header values,
/// repeated header keys, an empty and a 20 KB value, an out-of-order timestamp) with each codec; the segment files must
/// hold batches in exactly that codec, and kcat, kafka-python and KafkaJS (none and gzip only: KafkaJS 2.2.4 ships
/// no other codec) read back every record once, in order, with its key, value, headers and timestamp. The other way,
/// kcat, kafka-python and KafkaJS produce with each codec they have, and Samsa.Client's consumer reads exactly what they
/// sent. The reverse cases use the compression drivers (one partition, 50 records, header codec=X).
/// </summary>
public sealed class SamsaClientCodecInteropTests : IClassFixture<ConsumerGroupBrokerFixture>
{
    private const int RecordCount = 60;
    private const int CompressedRecordCount = 50;
    private const long DriverBaseTimestamp = 1_700_000_000_000;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);

    private readonly BrokerProcess _broker;

    public SamsaClientCodecInteropTests(ConsumerGroupBrokerFixture fixture) => _broker = fixture.Broker;

    public static TheoryData<string> Codecs() => new() { "none", "gzip", "snappy", "lz4", "zstd" };

    public static TheoryData<string, string> ProducersAndCodecs() => new()
    {
        { "kcat", "none" }, { "kcat", "gzip" }, { "kcat", "snappy" }, { "kcat", "lz4" }, { "kcat", "zstd" },
        { "kafka-python", "none" }, { "kafka-python", "gzip" }, { "kafka-python", "snappy" }, { "kafka-python", "lz4" }, { "kafka-python", "zstd" },
        { "kafkajs", "none" }, { "kafkajs", "gzip" },
    };

    public static TheoryData<string> Producers() => new() { "kcat", "kafka-python", "kafkajs" };

    [Theory]
    [MemberData(nameof(Codecs))]
    public Task Records_the_client_produces_with_each_codec_are_read_back_exactly_by_kcat_kafka_python_and_kafkajs(string codec) =>
        InteropFailure.WithBrokerOutputAsync(_broker, async () =>
        {
            string bootstrap = _broker.BootstrapServers;
            string topic = InteropFailure.NewTopic($"sc-out-{codec}");
            await SamsaClientDriver.CreateTopicAsync(bootstrap, topic, RecordSets.Partitions);

            var records = RecordSets.Mixed($"samsa-client/{codec}", RecordCount);
            var reports = await SamsaClientDriver.ProduceAsync(bootstrap, topic, records, codec);
            RecordAssert.DeliveriesAreDense(records, reports, $"Samsa.Client produce ({codec})");
            Assert.Equal([StoredBatches.CodecOf(codec)], StoredBatches.Codecs(_broker, topic, RecordSets.Partitions).Distinct());

            var consumers = new List<InteropClient> { InteropClients.Kcat, InteropClients.KafkaPython };
            if (codec is "none" or "gzip")
            {
                consumers.Add(InteropClients.KafkaJs);
            }
            foreach (var consumer in consumers)
            {
                var consumed = await consumer.ConsumeAsync(bootstrap, topic, RecordSets.Partitions, records.Count);
                RecordAssert.ConsumedExactly(records, consumed, $"Samsa.Client ({codec}) -> {consumer.Name}");
            }
            RecordAssert.ConsumedExactly(records, SamsaClientDriver.Consume(bootstrap, topic, RecordSets.Partitions, records.Count),
                $"Samsa.Client ({codec}) -> Samsa.Client");
        });

    [Theory]
    [MemberData(nameof(ProducersAndCodecs))]
    public Task Records_other_clients_produce_with_each_codec_are_read_exactly_by_the_client_consumer(string producer, string codec) =>
        InteropFailure.WithBrokerOutputAsync(_broker, async () =>
        {
            string bootstrap = _broker.BootstrapServers;
            string topic = InteropFailure.NewTopic($"sc-in-{producer}-{codec}");
            string prefix = $"{producer}/{codec}";
            await SamsaClientDriver.CreateTopicAsync(bootstrap, topic, 1);

            long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await ProduceCompressedAsync(producer, codec, topic, prefix);
            long after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            Assert.Equal([StoredBatches.CodecOf(codec)], StoredBatches.Codecs(_broker, topic, 1).Distinct());

            // kcat stamps its own CreateTime; the drivers send 1_700_000_000_000 + i.
            var expected = Enumerable.Range(0, CompressedRecordCount)
                .Select(i => new TestRecord(0, $"k{i}", ValueOf(prefix, i), [new Header("codec", codec)], DriverBaseTimestamp + i))
                .ToList();
            var consumed = SamsaClientDriver.Consume(bootstrap, topic, 1, expected.Count);
            RecordAssert.ConsumedExactly(expected, consumed, $"{producer} ({codec}) -> Samsa.Client",
                timestampWindow: producer == "kcat" ? (before - 1000, after + 1000) : null);
        });

    [Theory]
    [MemberData(nameof(Producers))]
    public Task Mixed_records_other_clients_produce_are_read_exactly_by_the_client_consumer(string producer) =>
        InteropFailure.WithBrokerOutputAsync(_broker, async () =>
        {
            var client = InteropClients.ByName(producer);
            string bootstrap = _broker.BootstrapServers;
            string topic = InteropFailure.NewTopic($"sc-mixed-{producer}");
            await SamsaClientDriver.CreateTopicAsync(bootstrap, topic, RecordSets.Partitions);

            var records = RecordSets.For(client, RecordCount);
            long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var reports = await client.ProduceAsync(bootstrap, topic, records);
            long after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            RecordAssert.DeliveriesAreDense(records, reports, $"{producer} produce");

            var consumed = SamsaClientDriver.Consume(bootstrap, topic, RecordSets.Partitions, records.Count);
            RecordAssert.ConsumedExactly(records, consumed, $"{producer} -> Samsa.Client",
                timestampWindow: client.KeepsInputTimestampsAndHeaders ? null : (before - 1000, after + 1000));
        });

    /// <summary>The value the compression drivers (compression_client.py, kafkajs_compression.js) send as record i.</summary>
    private static string ValueOf(string prefix, int i) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i}-") + string.Concat(Enumerable.Repeat(string.Create(CultureInfo.InvariantCulture, $"lorem ipsum dolor sit amet {i % 7} "), 6));

    private async Task ProduceCompressedAsync(string producer, string codec, string topic, string prefix)
    {
        string bootstrap = _broker.BootstrapServers;
        string count = CompressedRecordCount.ToString(CultureInfo.InvariantCulture);
        switch (producer)
        {
            case "kcat":
                var input = new StringBuilder();
                for (int i = 0; i < CompressedRecordCount; i++)
                {
                    input.Append('k').Append(i).Append('\t').Append(ValueOf(prefix, i)).Append('\n');
                }
                var kcat = await RunAsync("kcat",
                [
                    "-P", "-b", bootstrap, "-t", topic, "-p", "0", "-K", "\t", "-H", "codec=" + codec,
                    "-X", "compression.codec=" + codec, "-X", "linger.ms=20", "-X", "acks=all", "-X", "message.timeout.ms=30000",
                ], input.ToString());
                Assert.DoesNotContain("Delivery failed", kcat.Stderr, StringComparison.Ordinal);
                break;
            case "kafkajs":
                await RunAsync("node", [Path.Combine(ClientPaths.NodeDirectory, "kafkajs_compression.js"), "produce", bootstrap, topic, codec, prefix, count],
                    workingDirectory: ClientPaths.NodeDirectory);
                break;
            default:
                await RunAsync("/usr/bin/python3",
                [
                    Path.Combine(ClientPaths.PythonDirectory, "compression_client.py"), "produce", "--client", producer,
                    "--bootstrap", bootstrap, "--topic", topic, "--codec", codec, "--prefix", prefix, "--count", count,
                ]);
                break;
        }
    }

    private static async Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> arguments, string? input = null, string? workingDirectory = null)
    {
        var result = await ClientProcess.RunAsync(program, arguments, ClientTimeout, input, workingDirectory);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }
}
