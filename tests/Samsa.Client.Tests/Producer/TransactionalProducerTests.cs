using Samsa.Client.Admin;
using Samsa.Client.Config;
using Samsa.Client.Consumer;
using Samsa.Client.Producer;
using Samsa.Client.Tests.Infrastructure;
using Samsa.Protocol;

namespace Samsa.Client.Tests.Producer;

public class TransactionalProducerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Committed_records_are_read_committed_and_aborted_ones_only_read_uncommitted()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await broker.CreateTopicAsync("txn", 2);
        using var producer = TransactionalProducer(broker, "txn-a");
        producer.InitTransactions(Timeout);

        producer.BeginTransaction();
        for (int i = 0; i < 10; i++)
        {
            producer.Produce(new TopicPartition("txn", i % 2), new Message<string, string> { Key = "k", Value = $"committed-{i}" });
        }
        producer.CommitTransaction(Timeout);

        producer.BeginTransaction();
        for (int i = 0; i < 5; i++)
        {
            producer.Produce(new TopicPartition("txn", i % 2), new Message<string, string> { Key = "k", Value = $"aborted-{i}" });
        }
        producer.Flush(Timeout);
        producer.AbortTransaction(Timeout);

        producer.BeginTransaction();
        await producer.ProduceAsync(new TopicPartition("txn", 0), new Message<string, string> { Key = "k", Value = "after" });
        producer.CommitTransaction(Timeout);

        var committed = ReadAll(broker, "txn", 2, IsolationLevel.ReadCommitted, expected: 11);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"committed-{i}").Append("after").Order(), committed.Order());
        var everything = ReadAll(broker, "txn", 2, IsolationLevel.ReadUncommitted, expected: 16);
        Assert.Equal(16, everything.Count);
        Assert.Equal(5, everything.Count(v => v.StartsWith("aborted-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Offsets_sent_to_a_transaction_are_committed_only_with_it()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await broker.CreateTopicAsync("out", 1);
        await broker.CreateTopicAsync("in", 1);
        using var producer = TransactionalProducer(broker, "txn-offsets");
        producer.InitTransactions(Timeout);
        var group = new ConsumerGroupMetadata("transformers");

        producer.BeginTransaction();
        producer.Produce("out", new Message<string, string> { Key = "k", Value = "v1" });
        producer.SendOffsetsToTransaction([new TopicPartitionOffset("in", 0, 42)], group, Timeout);
        producer.CommitTransaction(Timeout);

        producer.BeginTransaction();
        producer.Produce("out", new Message<string, string> { Key = "k", Value = "v2" });
        producer.SendOffsetsToTransaction([new TopicPartitionOffset("in", 0, 99)], group, Timeout);
        producer.AbortTransaction(Timeout);

        await using var admin = await AdminClient.ConnectAsync(broker.BootstrapServers);
        var offsets = await admin.ListGroupOffsetsAsync("transformers");
        Assert.Equal(42, offsets[new TopicPartition("in", 0)]);
    }

    [Fact]
    public async Task A_second_producer_with_the_same_transactional_id_fences_the_first()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await broker.CreateTopicAsync("fenced", 1);
        using var first = TransactionalProducer(broker, "same-id");
        first.InitTransactions(Timeout);
        first.BeginTransaction();
        await first.ProduceAsync("fenced", new Message<string, string> { Key = "k", Value = "zombie" });

        using var second = TransactionalProducer(broker, "same-id");
        second.InitTransactions(Timeout);
        second.BeginTransaction();
        await second.ProduceAsync("fenced", new Message<string, string> { Key = "k", Value = "live" });
        second.CommitTransaction(Timeout);

        var e = Assert.ThrowsAny<KafkaException>(() => first.CommitTransaction(Timeout));
        Assert.True(e.IsFatal, e.ToString());
        Assert.Equal(["live"], ReadAll(broker, "fenced", 1, IsolationLevel.ReadCommitted, expected: 1));
    }

    [Fact]
    public async Task Producing_outside_a_transaction_is_refused()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await broker.CreateTopicAsync("refused", 1);
        using var producer = TransactionalProducer(broker, "strict");
        producer.InitTransactions(Timeout);
        var e = Assert.Throws<KafkaException>(() => producer.Produce("refused", new Message<string, string> { Key = "k", Value = "v" }));
        Assert.Equal(ErrorCode.LocalState, e.Error);
    }

    private static IProducer<string, string> TransactionalProducer(ClientTestBroker broker, string transactionalId) =>
        new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            TransactionalId = transactionalId,
            LingerMs = 1,
        }).Build();

    /// <summary>Reads every partition from the start until <paramref name="expected"/> values came, or the timeout.</summary>
    private static List<string> ReadAll(ClientTestBroker broker, string topic, int partitions, IsolationLevel isolation, int expected)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            IsolationLevel = isolation,
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var values = new List<string>();
        var deadline = DateTime.UtcNow + Timeout;
        while (values.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
            {
                values.Add(result.Message.Value);
            }
        }
        // Nothing more may come: a hidden record showing up late would be a failure too.
        while (consumer.Consume(TimeSpan.FromMilliseconds(300)) is { IsPartitionEOF: false } extra)
        {
            values.Add(extra.Message.Value);
        }
        return values;
    }
}
