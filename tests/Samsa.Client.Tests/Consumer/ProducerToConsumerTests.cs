using Samsa.Client.Config;
using Samsa.Client.Producer;

namespace Samsa.Client.Tests.Consumer;

/// <summary>The client's own producer writing what the consumer reads: compression, transactions, offsets in transactions.</summary>
public sealed class ProducerToConsumerTests
{
    private static IProducer<string?, string?> Producer(ConsumerTestCluster cluster, params (string Key, string Value)[] settings)
    {
        var config = new Dictionary<string, string> { ["bootstrap.servers"] = cluster.Broker.BootstrapServers, ["linger.ms"] = "5" };
        foreach (var (key, value) in settings)
        {
            config[key] = value;
        }
        return new ProducerBuilder<string?, string?>(config).Build();
    }

    [Theory]
    [InlineData("none")]
    [InlineData("gzip")]
    [InlineData("lz4")]
    [InlineData("zstd")]
    [InlineData("snappy")]
    public async Task Records_produced_with_each_compression_type_are_consumed_intact(string codec)
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 2);
        using (var producer = Producer(cluster, ("compression.type", codec)))
        {
            for (int i = 0; i < 200; i++)
            {
                var headers = new Headers { { "n", [(byte)i] } };
                producer.Produce("t", new Message<string?, string?> { Key = "k" + (i % 7), Value = "v" + i, Headers = headers });
            }
            producer.Flush(ConsumerTestCluster.Deadline);
        }
        using var consumer = cluster.Consumer(cluster.Config("g"));
        consumer.Subscribe("t");

        var results = ConsumerTestCluster.ConsumeN(consumer, 200);

        Assert.Equal(200, results.Count);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => "v" + i).Order(), results.Select(r => r.Message.Value!).Order());
        Assert.All(results, r => Assert.Equal((byte)int.Parse(r.Message.Value![1..]), r.Message.Headers!.GetLastBytes("n")![0]));
        // Same key, same partition, in produce order.
        foreach (var byKey in results.GroupBy(r => r.Message.Key))
        {
            Assert.Single(byKey.Select(r => r.Partition).Distinct());
            var order = byKey.Select(r => int.Parse(r.Message.Value![1..])).ToList();
            Assert.Equal(order.Order(), order);
        }
    }

    [Fact]
    public async Task Read_committed_hides_a_transactional_producers_aborted_records()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        using (var producer = Producer(cluster, ("transactional.id", "tx")))
        {
            producer.InitTransactions(ConsumerTestCluster.Deadline);
            producer.BeginTransaction();
            producer.Produce("t", new Message<string?, string?> { Value = "aborted" });
            producer.Flush(ConsumerTestCluster.Deadline);
            producer.AbortTransaction(ConsumerTestCluster.Deadline);
            producer.BeginTransaction();
            producer.Produce("t", new Message<string?, string?> { Value = "committed" });
            producer.CommitTransaction(ConsumerTestCluster.Deadline);
        }
        using var consumer = cluster.Consumer(cluster.Config());
        consumer.Assign([new TopicPartitionOffset("t", 0, 0)]);

        Assert.Equal("committed", ConsumerTestCluster.ConsumeN(consumer, 1)[0].Message.Value);
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Offsets_sent_to_a_transaction_with_the_consumers_group_metadata_are_committed_with_it()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("in", 1);
        await cluster.CreateTopicAsync("out", 1);
        await cluster.ProduceAsync("in", 0, 3);
        using var consumer = cluster.Consumer(cluster.Config("g", c => c.EnableAutoCommit = false));
        consumer.Subscribe("in");
        var read = ConsumerTestCluster.ConsumeN(consumer, 3);
        Assert.Equal(3, read.Count);

        using (var producer = Producer(cluster, ("transactional.id", "etl")))
        {
            producer.InitTransactions(ConsumerTestCluster.Deadline);
            producer.BeginTransaction();
            foreach (var record in read)
            {
                producer.Produce("out", new Message<string?, string?> { Value = record.Message.Value!.ToUpperInvariant() });
            }
            producer.SendOffsetsToTransaction([new TopicPartitionOffset("in", 0, 3)], consumer.ConsumerGroupMetadata!, ConsumerTestCluster.Deadline);
            producer.CommitTransaction(ConsumerTestCluster.Deadline);
        }

        Assert.Equal(3, consumer.Committed([new Protocol.TopicPartition("in", 0)], ConsumerTestCluster.Deadline)[0].Offset.Value);
        using var reader = cluster.Consumer(cluster.Config());
        reader.Assign([new TopicPartitionOffset("out", 0, 0)]);
        Assert.Equal(["V0", "V1", "V2"], ConsumerTestCluster.ConsumeN(reader, 3).Select(r => r.Message.Value));
    }
}
