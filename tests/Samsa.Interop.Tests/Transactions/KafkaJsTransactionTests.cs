using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests.Transactions;

/// <summary>
/// KafkaJS 2.2.4 transactions (clients/node/kafkajs_txn.js): send + sendOffsets + commit, send + sendOffsets + abort,
/// send + commit. A KafkaJS consumer, read_committed by default, sees exactly the committed records, and the group's
/// offsets are those of the committed transaction only.
/// </summary>
public sealed class KafkaJsTransactionTests : IClassFixture<ConsumerGroupBrokerFixture>
{
    private const int Partitions = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);
    private readonly ConsumerGroupBrokerFixture _fixture;

    public KafkaJsTransactionTests(ConsumerGroupBrokerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task KafkaJs_read_committed_consumer_sees_only_committed_transactions_and_their_offsets()
    {
        await InteropClients.KafkaJs.EnsureInstalledAsync();
        var broker = _fixture.Broker;
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            string topic = InteropFailure.NewTopic("kjs-txn");
            string source = InteropFailure.NewTopic("kjs-src");
            string group = InteropFailure.NewTopic("kjs-group");
            await InteropClients.KafkaJs.CreateTopicAsync(broker.BootstrapServers, topic, Partitions);
            await InteropClients.KafkaJs.CreateTopicAsync(broker.BootstrapServers, source, Partitions);

            var result = await ClientProcess.RunAsync("node",
                [Path.Combine(ClientPaths.NodeDirectory, "kafkajs_txn.js"), "--bootstrap", broker.BootstrapServers, "--topic", topic,
                 "--source", source, "--group", group, "--transactional-id", InteropFailure.NewTopic("kjs-tid"),
                 "--timeout", TxnDriver.Text((int)Timeout.TotalSeconds)],
                Timeout + TimeSpan.FromSeconds(20), workingDirectory: ClientPaths.NodeDirectory,
                environment: new Dictionary<string, string> { ["KAFKAJS_NO_PARTITIONER_WARNING"] = "1" });
            Assert.True(result.ExitCode == 0, "kafkajs_txn.js failed\n" + result.Describe());
            var document = TxnDriver.ParseLines(result.Stdout, result.Describe).Last();
            Assert.True(document.GetProperty("errors").GetArrayLength() == 0, "KafkaJS reported errors\n" + result.Describe());

            var transactions = document.GetProperty("transactions").EnumerateArray().ToList();
            Assert.Equal(3, transactions.Count);
            var committed = transactions.Where(t => t.GetProperty("kind").GetString() == "commit")
                .SelectMany(t => TxnRecord.ReadAll(t.GetProperty("records"))).ToList();
            var aborted = transactions.Where(t => t.GetProperty("kind").GetString() == "abort")
                .SelectMany(t => TxnRecord.ReadAll(t.GetProperty("records"))).ToList();
            Assert.Equal(6 + 3, committed.Count);
            Assert.Equal(4, aborted.Count);

            var consumed = TxnRecord.ReadAll(document.GetProperty("consumed"));
            TransactionalProducerTests.AssertSameRecords(committed, consumed, "the KafkaJS read_committed consumer");

            // Only the committed transaction's offsets reached the group: S/0 = 5, S/1 = 3, S/2 never committed (-1).
            var offsets = TxnDriver.ReadGroupOffsets(document.GetProperty("group_offsets"));
            Assert.True(offsets.GetValueOrDefault(0) == 5 && offsets.GetValueOrDefault(1) == 3 && offsets.GetValueOrDefault(2, -1) == -1,
                $"group {group} offsets for {source}: {string.Join(", ", offsets.Select(o => $"{o.Key}={o.Value}"))}; expected 0=5, 1=3, 2=-1");

            // The aborted records are in the log: a read_uncommitted reader (confluent-kafka-python) sees all.
            var uncommitted = await TxnDriver.ConsumeAsync(broker.BootstrapServers, topic, Partitions, "read_uncommitted");
            TransactionalProducerTests.AssertSameRecords([.. committed, .. aborted], uncommitted.Records, "read_uncommitted");
        });
    }
}
