using System.Text;
using Samsa.Client.Config;
using Samsa.Client.Producer;
using Samsa.Client.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Client.Tests.Producer;

public class ProducerTests
{
    [Fact]
    public async Task ProduceAsync_returns_consecutive_offsets_in_one_partition()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await broker.CreateTopicAsync("orders", 1);
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, LingerMs = 1 }).Build();
        var results = new List<DeliveryResult<string, string>>();
        for (int i = 0; i < 20; i++)
        {
            results.Add(await producer.ProduceAsync("orders", new Message<string, string> { Key = "k", Value = $"v{i}" }));
        }
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), results.Select(r => r.Offset.Value));
        Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        var records = await ReadAllAsync(broker, "orders", 0);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"v{i}"), records.Select(r => r.Value));
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Records_arrive_intact_with_every_codec(CompressionType codec)
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await broker.CreateTopicAsync("codec", 1);
        var config = new ProducerConfig { BootstrapServers = broker.BootstrapServers, CompressionType = codec, LingerMs = 20 };
        using var producer = new ProducerBuilder<string, string>(config).Build();
        var reports = new List<DeliveryReport<string, string>>();
        for (int i = 0; i < 500; i++)
        {
            var headers = new Headers { { "h", Encoding.UTF8.GetBytes($"hv{i}") } };
            producer.Produce("codec", new Message<string, string> { Key = $"key-{i}", Value = $"value-{i}", Headers = headers }, r => { lock (reports) { reports.Add(r); } });
        }
        producer.Flush(TimeSpan.FromSeconds(30));
        Assert.Equal(500, reports.Count);
        Assert.All(reports, r => Assert.Equal(ErrorCode.None, r.Error));
        var records = await ReadAllAsync(broker, "codec", 0);
        Assert.Equal(500, records.Count);
        for (int i = 0; i < 500; i++)
        {
            Assert.Equal(($"key-{i}", $"value-{i}", $"hv{i}"), (records[i].Key, records[i].Value, records[i].Header));
        }
    }

    [Fact]
    public async Task Keys_go_to_the_java_partition_and_null_keys_fill_batches()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await broker.CreateTopicAsync("keyed", 6);
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build();
        foreach (string key in new[] { "21", "foobar", "abc", "key-1" })
        {
            var result = await producer.ProduceAsync("keyed", new Message<string, string> { Key = key, Value = "x" });
            Assert.Equal(Partitioner.PartitionFor(Encoding.UTF8.GetBytes(key), 6), result.Partition);
        }
    }

    [Fact]
    public async Task A_bad_property_names_its_key()
    {
        var config = new ProducerConfig { BootstrapServers = "127.0.0.1:1" };
        config.Set("linger.ms", "soon");
        var e = Assert.Throws<ArgumentException>(() => new ProducerBuilder<string, string>(config).Build());
        Assert.Contains("linger.ms", e.Message);
        config = new ProducerConfig { BootstrapServers = "127.0.0.1:1" };
        config.Set("no.such.thing", "1");
        e = Assert.Throws<ArgumentException>(() => new ProducerBuilder<string, string>(config).Build());
        Assert.Contains("no.such.thing", e.Message);
        config = new ProducerConfig { BootstrapServers = "127.0.0.1:1", EnableIdempotence = true, Acks = Acks.Leader };
        e = Assert.Throws<ArgumentException>(() => new ProducerBuilder<string, string>(config).Build());
        Assert.Contains("enable.idempotence", e.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task An_idempotent_producer_writes_every_record_once_in_order_across_a_broker_restart()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        await broker.CreateTopicAsync("restart", 1);
        var config = new ProducerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            LingerMs = 2,
            BatchSize = 16 * 1024,
            RetryBackoffMs = 20,
            ReconnectBackoffMs = 20,
            ReconnectBackoffMaxMs = 200,
            RequestTimeoutMs = 5000,
        };
        using var producer = new ProducerBuilder<Null, string>(config).Build();
        int failed = 0;
        const int count = 20_000;
        using var restarting = new ManualResetEventSlim();
        using var restarted = new ManualResetEventSlim();
        var producing = Task.Run(() =>
        {
            for (int i = 0; i < count; i++)
            {
                producer.Produce("restart", new Message<Null, string> { Value = $"r{i:D6}" }, r =>
                {
                    if (r.Error != ErrorCode.None)
                    {
                        Interlocked.Increment(ref failed);
                    }
                });
                if (i == 5000)
                {
                    restarting.Set();
                }
                // Records flow a few at a time during the restart; the last thousand go after it.
                if (i > 5000 && !restarted.IsSet && i % 20 == 0)
                {
                    Thread.Sleep(1);
                }
                if (i == count - 1000)
                {
                    restarted.Wait();
                }
            }
        });
        Assert.True(restarting.Wait(TimeSpan.FromSeconds(30)));
        await broker.RestartAsync();
        restarted.Set();
        await producing;
        producer.Flush(TimeSpan.FromSeconds(60));
        Assert.Equal(0, failed);
        var records = await ReadAllAsync(broker, "restart", 0);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"r{i:D6}"), records.Select(r => r.Value));
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(20);
        }
    }

    internal static Task<List<(string? Key, string? Value, string? Header)>> ReadAllAsync(ClientTestBroker broker, string topic, int partition) =>
        RawFetch.ReadAllAsync(broker.BootstrapServers, topic, partition);
}
