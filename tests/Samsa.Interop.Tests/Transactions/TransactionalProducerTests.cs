using System.Text.Json;
using Samsa.Interop.Tests.Clients;

namespace Samsa.Interop.Tests.Transactions;

/// <summary>
/// confluent-kafka-python (librdkafka 2.0.2) transactional producers against a live broker: what read_committed
/// and read_uncommitted consumers see of committed, aborted and open transactions, and fencing of a producer by a
/// second one with the same transactional.id.
/// </summary>
public sealed class TransactionalProducerTests : IClassFixture<ConsumerGroupBrokerFixture>
{
    private const int Partitions = 3;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(40);
    private readonly ConsumerGroupBrokerFixture _fixture;

    public TransactionalProducerTests(ConsumerGroupBrokerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task Read_committed_sees_committed_transactions_only_and_read_uncommitted_sees_all()
    {
        var broker = _fixture.Broker;
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            string topic = InteropFailure.NewTopic("txn-visibility");
            await InteropClients.ConfluentKafka.CreateTopicAsync(broker.BootstrapServers, topic, Partitions);

            // Interleaved so aborted records sit between committed ones in every partition; the last transaction
            // stays open while the driver looks at the topic, then commits.
            var events = await TxnDriver.RunAsync("transactions", broker.BootstrapServers, Partitions, ClientTimeout,
                "--topic", topic, "--transactional-id", InteropFailure.NewTopic("tid-visibility"),
                "--plan", "commit:7,abort:5,commit:4,abort:6,commit:5", "--open", "4");
            var transactions = events.Where(e => TxnDriver.Event(e) == "transaction").ToList();
            Assert.Equal(6, transactions.Count);
            var committed = new List<TxnRecord>();
            var aborted = new List<TxnRecord>();
            foreach (var transaction in transactions)
            {
                Assert.True(transaction.GetProperty("errors").GetArrayLength() == 0, "a transaction had delivery errors: " + transaction.GetRawText());
                var delivered = TxnRecord.ReadAll(transaction.GetProperty("delivered"));
                (transaction.GetProperty("kind").GetString() == "commit" ? committed : aborted).AddRange(delivered);
            }
            Assert.Equal(7 + 4 + 5 + 4, committed.Count);
            Assert.Equal(5 + 6, aborted.Count);

            // While the last transaction was open: its records are above the LSO and read_committed stops there.
            var open = TxnDriver.Single(events, "open");
            var openRecords = TxnRecord.ReadAll(open.GetProperty("delivered"));
            var committedBeforeOpen = committed.Where(c => !openRecords.Contains(c)).ToList();
            var lso = TxnDriver.ReadWatermarks(open.GetProperty("committed_watermarks"));
            var hw = TxnDriver.ReadWatermarks(open.GetProperty("uncommitted_watermarks"));
            for (int p = 0; p < Partitions; p++)
            {
                long firstOpen = openRecords.Where(r => r.Partition == p).Min(r => r.Offset);
                Assert.True(lso[p].High == firstOpen,
                    $"partition {p}: read_committed ListOffsets gave {lso[p].High} while a transaction starting at offset {firstOpen} was open (high watermark {hw[p].High})");
                Assert.True(hw[p].High > firstOpen, $"partition {p}: the high watermark {hw[p].High} does not cover the open transaction at {firstOpen}");
            }
            AssertSameRecords(committedBeforeOpen, TxnRecord.ReadAll(open.GetProperty("committed_records")),
                "read_committed while the last transaction was open");

            var readCommitted = await TxnDriver.ConsumeAtLeastAsync(broker.BootstrapServers, topic, Partitions, "read_committed", committed.Count);
            AssertSameRecords(committed, readCommitted.Records, "read_committed after every transaction ended");
            var readUncommitted = await TxnDriver.ConsumeAsync(broker.BootstrapServers, topic, Partitions, "read_uncommitted");
            AssertSameRecords([.. committed, .. aborted], readUncommitted.Records, "read_uncommitted");
            for (int p = 0; p < Partitions; p++)
            {
                Assert.True(readCommitted.Watermarks[p].High == readUncommitted.Watermarks[p].High,
                    $"partition {p}: with no transaction open the LSO ({readCommitted.Watermarks[p].High}) should equal the high watermark ({readUncommitted.Watermarks[p].High})");
            }
        });
    }

    [Fact]
    public async Task A_second_producer_with_the_same_transactional_id_fences_the_first()
    {
        var broker = _fixture.Broker;
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            string topic = InteropFailure.NewTopic("txn-fence");
            await InteropClients.ConfluentKafka.CreateTopicAsync(broker.BootstrapServers, topic, Partitions);

            var events = await TxnDriver.RunAsync("fence", broker.BootstrapServers, Partitions, ClientTimeout,
                "--topic", topic, "--transactional-id", InteropFailure.NewTopic("tid-fence"));
            var firstSent = TxnRecord.ReadAll(TxnDriver.Single(events, "first-sent").GetProperty("delivered"));
            Assert.Single(firstSent);
            var second = TxnDriver.Single(events, "second-committed");
            Assert.True(second.GetProperty("errors").GetArrayLength() == 0, "the second producer had delivery errors: " + second.GetRawText());
            var secondRecords = TxnRecord.ReadAll(second.GetProperty("delivered"));
            Assert.Equal(3, secondRecords.Count);

            // The fenced producer learns it on its next send or at the latest on its commit, and the error is fatal.
            var after = TxnDriver.Single(events, "first-after-fence");
            Assert.True(after.GetProperty("commit_error").ValueKind == JsonValueKind.Object,
                "the fenced producer's commit succeeded: " + after.GetRawText());
            var commitError = after.GetProperty("commit_error");
            Assert.True(commitError.GetProperty("fatal").GetBoolean(), "the fenced producer's commit error is not fatal: " + after.GetRawText());
            // librdkafka reports fencing as its own _FENCED (-144) or the broker's PRODUCER_FENCED (90) / INVALID_PRODUCER_EPOCH (47).
            Assert.Contains(commitError.GetProperty("code").GetInt32(), (int[])[-144, 90, 47]);
            var firstAfterFence = TxnRecord.ReadAll(after.GetProperty("delivered"));
            Assert.True(firstAfterFence.Count == 1, "the fenced producer's second record was acknowledged: " + after.GetRawText());

            var readCommitted = await TxnDriver.ConsumeAtLeastAsync(broker.BootstrapServers, topic, Partitions, "read_committed", secondRecords.Count);
            AssertSameRecords(secondRecords, readCommitted.Records, "read_committed after fencing");
            // The first producer's open transaction was aborted when the second one initialized; its later send was refused.
            var readUncommitted = await TxnDriver.ConsumeAsync(broker.BootstrapServers, topic, Partitions, "read_uncommitted");
            AssertSameRecords([.. firstSent, .. secondRecords], readUncommitted.Records, "read_uncommitted after fencing");
            Assert.True(firstSent[0].Offset < secondRecords.Where(r => r.Partition == firstSent[0].Partition).Min(r => r.Offset),
                "the fenced producer's record should precede the second producer's in the partition");
        });
    }

    /// <summary>
    /// Exactly the expected records (partition, offset, key, value), each once, and within each partition in offset
    /// order as the consumer handed them out.
    /// </summary>
    internal static void AssertSameRecords(IEnumerable<TxnRecord> expected, IReadOnlyList<TxnRecord> actual, string what)
    {
        var want = expected.OrderBy(r => r.Partition).ThenBy(r => r.Offset).ToList();
        var got = actual.OrderBy(r => r.Partition).ThenBy(r => r.Offset).ToList();
        var missing = want.Except(got).ToList();
        var unexpected = got.Except(want).ToList();
        var duplicates = got.GroupBy(r => (r.Partition, r.Offset)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0 && duplicates.Count == 0 && want.Count == got.Count,
            $"{what}: expected {want.Count} records, read {got.Count}; missing {missing.Count} (e.g. {string.Join(", ", missing.Take(5))}), " +
            $"unexpected {unexpected.Count} (e.g. {string.Join(", ", unexpected.Take(5))}), read twice {duplicates.Count}");
        foreach (var partition in actual.GroupBy(r => r.Partition))
        {
            var offsets = partition.Select(r => r.Offset).ToList();
            Assert.True(offsets.SequenceEqual(offsets.Order()), $"{what}: partition {partition.Key} handed out out of order: {string.Join(",", offsets.Take(30))}");
        }
    }
}
