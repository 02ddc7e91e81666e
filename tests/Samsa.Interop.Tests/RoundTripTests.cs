using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests;

/// <summary>
/// Records produced by one real client are read back exactly by every
/// client. kcat, confluent-kafka-python and kafka-python read by manual
/// assignment; KafkaJS has no such API and reads through a throwaway
/// consumer group that commits nothing.
/// </summary>
public sealed class RoundTripTests : IClassFixture<BrokerFixture>
{
    private const int RecordCount = 60;

    private readonly BrokerProcess _broker;

    public RoundTripTests(BrokerFixture fixture) => _broker = fixture.Broker;

    public static TheoryData<string, string> ProducerConsumerPairs
    {
        get
        {
            var pairs = new TheoryData<string, string>();
            foreach (var producer in InteropClients.All)
            {
                foreach (var consumer in InteropClients.All.Where(c => c.CanConsume))
                {
                    pairs.Add(producer.Name, consumer.Name);
                }
            }
            return pairs;
        }
    }

    /// <summary>
    /// kcat takes neither timestamps nor per-record headers from its input:
    /// it sends runs of records sharing headers (-H per invocation) and
    /// librdkafka stamps CreateTime itself. For kcat-produced records the
    /// timestamps must lie within the produce run and be identical through a
    /// second, independent consumer.
    /// </summary>
    [Theory]
    [MemberData(nameof(ProducerConsumerPairs))]
    public Task Records_round_trip_exactly(string producer, string consumer) =>
        InteropFailure.WithBrokerOutputAsync(_broker, async () =>
        {
            var p = InteropClients.ByName(producer);
            var c = InteropClients.ByName(consumer);
            var bootstrap = _broker.BootstrapServers;
            var topic = InteropFailure.NewTopic($"rt-{producer}-{consumer}");
            await (p.HasAdmin ? p : InteropClients.DefaultAdmin).CreateTopicAsync(bootstrap, topic, RecordSets.Partitions);

            var records = RecordSets.For(p, RecordCount);
            var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var reports = await p.ProduceAsync(bootstrap, topic, records);
            var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            RecordAssert.DeliveriesAreDense(records, reports, $"{producer} produce");

            var consumed = await c.ConsumeAsync(bootstrap, topic, RecordSets.Partitions, records.Count);
            if (p.KeepsInputTimestampsAndHeaders)
            {
                RecordAssert.ConsumedExactly(records, consumed, $"{producer} -> {consumer}");
            }
            else
            {
                RecordAssert.ConsumedExactly(records, consumed, $"{producer} -> {consumer}", timestampWindow: (before - 1000, after + 1000));
                var reference = c == InteropClients.Kcat ? InteropClients.ConfluentKafka : InteropClients.Kcat;
                var again = await reference.ConsumeAsync(bootstrap, topic, RecordSets.Partitions, records.Count);
                RecordAssert.SameRecords(consumed, again, $"{producer} -> {consumer} vs {reference}");
            }
        });

    [Fact]
    public Task Kcat_produce_auto_creates_a_one_partition_topic() =>
        InteropFailure.WithBrokerOutputAsync(_broker, async () =>
        {
            var bootstrap = _broker.BootstrapServers;
            var topic = InteropFailure.NewTopic("auto-kcat");
            var records = RecordSets.For(InteropClients.Kcat, 8).Select(r => r with { Partition = 0 }).ToList();
            var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var reports = await InteropClients.Kcat.ProduceAsync(bootstrap, topic, records);
            var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            RecordAssert.DeliveriesAreDense(records, reports, "kcat produce to a new topic");

            var metadata = await InteropClients.ConfluentKafka.GetMetadataAsync(bootstrap, topic);
            Assert.Equal(0, metadata.ErrorCode);
            Assert.Equal([0], metadata.Partitions.Select(p => p.Partition));

            var consumed = await InteropClients.KafkaPython.ConsumeAsync(bootstrap, topic, 1, records.Count);
            RecordAssert.ConsumedExactly(records, consumed, "kcat -> kafka-python (auto-created)", timestampWindow: (before - 1000, after + 1000));
        });
}
