using System.Text;
using Samsa.Client.Config;
using Samsa.Client.Consumer;
using Samsa.Client.Network;
using Samsa.Client.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Client.Tests.Consumer;

/// <summary>
/// An in-process broker plus a raw connection that creates topics and writes record batches (plain, compressed or
/// transactional) with Produce, so consumer tests do not depend on the producer.
/// </summary>
internal sealed class ConsumerTestCluster : IAsyncDisposable
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    static ConsumerTestCluster()
    {
        // The tests call the consumer's blocking API (as applications do, from their own threads) inside async test
        // methods, so they hold pool threads the in-process broker and the client's I/O also need; on a 2-core
        // machine the pool would otherwise grow by one thread every half second.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
    }

    private ConsumerTestCluster(ClientTestBroker broker, KafkaConnection connection)
    {
        Broker = broker;
        Connection = connection;
    }

    public ClientTestBroker Broker { get; }

    public KafkaConnection Connection { get; }

    public static async Task<ConsumerTestCluster> StartAsync()
    {
        // No initial rebalance delay and short sessions, so group tests take seconds.
        var broker = await ClientTestBroker.StartAsync(c => c with { GroupInitialRebalanceDelayMs = 0, GroupMinSessionTimeoutMs = 100 });
        var connection = await KafkaConnection.ConnectAsync(broker.BootstrapServers);
        return new ConsumerTestCluster(broker, connection);
    }

    public ConsumerConfig Config(string? groupId = null, Action<ConsumerConfig>? configure = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = Broker.BootstrapServers,
            GroupId = groupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchMaxWaitMs = 100,
            SessionTimeoutMs = 6000,
            HeartbeatIntervalMs = 100,
        };
        configure?.Invoke(config);
        return config;
    }

    public IConsumer<string?, string?> Consumer(ConsumerConfig config, Action<ConsumerBuilder<string?, string?>>? configure = null)
    {
        var builder = new ConsumerBuilder<string?, string?>(config);
        configure?.Invoke(builder);
        return builder.Build();
    }

    public Task CreateTopicAsync(string name, int partitions) => Broker.CreateTopicAsync(name, partitions);

    /// <summary>One batch of records "{prefix}{i}" (keys "k{i}"), optionally compressed; returns the base offset.</summary>
    public async Task<long> ProduceAsync(string topic, int partition, int count, string prefix = "v", CompressionType compression = CompressionType.None,
        int start = 0)
    {
        using var builder = new RecordBatchBuilder();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int i = start; i < start + count; i++)
        {
            builder.Append(now, Encoding.UTF8.GetBytes("k" + i), Encoding.UTF8.GetBytes(prefix + i),
                [new RecordHeader("h", Encoding.UTF8.GetBytes("x" + i))]);
        }
        byte[] batch = builder.ToArray();
        if (compression != CompressionType.None)
        {
            batch = RecordBatchCompression.Compress(batch, compression);
        }
        return await ProduceBatchAsync(topic, partition, batch);
    }

    public async Task<long> ProduceBatchAsync(string topic, int partition, byte[] batch, string? transactionalId = null)
    {
        var request = new ProduceRequest { Acks = -1, TimeoutMs = 10_000, TransactionalId = transactionalId };
        var data = new ProduceRequest.TopicProduceData { Name = topic };
        data.PartitionData.Add(new ProduceRequest.PartitionProduceData { Index = partition, Records = batch });
        request.TopicData.Add(data);
        var response = await Connection.SendAsync<ProduceResponse>(request, Connection.NegotiateVersion(ApiKey.Produce, 3, 9));
        var result = response.Responses[0].PartitionResponses[0];
        Assert.Equal(0, result.ErrorCode);
        return result.BaseOffset;
    }

    /// <summary>Writes <paramref name="count"/> records in a transaction of <paramref name="transactionalId"/>, then commits or aborts it.</summary>
    public async Task ProduceTransactionAsync(string transactionalId, string topic, int partition, int count, string prefix, bool commit)
    {
        var init = await Connection.SendAsync<InitProducerIdResponse>(
            new InitProducerIdRequest { TransactionalId = transactionalId, TransactionTimeoutMs = 30_000 }, Connection.NegotiateVersion(ApiKey.InitProducerId, 0, 4));
        Assert.Equal(0, init.ErrorCode);
        var add = new AddPartitionsToTxnRequest { TransactionalId = transactionalId, ProducerId = init.ProducerId, ProducerEpoch = init.ProducerEpoch };
        add.Topics.Add(new AddPartitionsToTxnRequest.AddPartitionsToTxnTopic { Name = topic, Partitions = [partition] });
        await Connection.SendAsync<AddPartitionsToTxnResponse>(add, Connection.NegotiateVersion(ApiKey.AddPartitionsToTxn, 0, 3));
        using var builder = new RecordBatchBuilder
        {
            ProducerId = init.ProducerId,
            ProducerEpoch = init.ProducerEpoch,
            BaseSequence = 0,
            IsTransactional = true,
        };
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int i = 0; i < count; i++)
        {
            builder.Append(now, null, Encoding.UTF8.GetBytes(prefix + i));
        }
        await ProduceBatchAsync(topic, partition, builder.ToArray(), transactionalId);
        var end = await Connection.SendAsync<EndTxnResponse>(new EndTxnRequest
        {
            TransactionalId = transactionalId,
            ProducerId = init.ProducerId,
            ProducerEpoch = init.ProducerEpoch,
            Committed = commit,
        }, Connection.NegotiateVersion(ApiKey.EndTxn, 0, 3));
        Assert.Equal(0, end.ErrorCode);
    }

    /// <summary>Consumes until <paramref name="count"/> records arrived or the deadline passed.</summary>
    public static List<ConsumeResult<string?, string?>> ConsumeN(IConsumer<string?, string?> consumer, int count, TimeSpan? deadline = null)
    {
        var results = new List<ConsumeResult<string?, string?>>();
        long end = Environment.TickCount64 + (long)(deadline ?? Deadline).TotalMilliseconds;
        while (results.Count < count && Environment.TickCount64 < end)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                results.Add(result);
            }
        }
        return results;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes; returns whether it held.</summary>
    public static bool Eventually(Func<bool> condition, TimeSpan? deadline = null)
    {
        long end = Environment.TickCount64 + (long)(deadline ?? Deadline).TotalMilliseconds;
        while (Environment.TickCount64 < end)
        {
            if (condition())
            {
                return true;
            }
            Thread.Yield();
        }
        return condition();
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
