using Samsa.Client.Config;
using Samsa.Client.Consumer;
using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Client.Tests.Consumer;

/// <summary>Reading assigned partitions without a group: positions, seeks, pause, compression, transactions.</summary>
public sealed class ConsumerFetchTests
{
    [Fact]
    public async Task Assign_from_offset_zero_reads_every_record_with_key_value_headers()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 5);
        await cluster.ProduceAsync("t", 0, 5, start: 5);
        using var consumer = cluster.Consumer(cluster.Config());
        consumer.Assign([new TopicPartitionOffset("t", 0, 0)]);

        var results = ConsumerTestCluster.ConsumeN(consumer, 10);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), results.Select(r => r.Offset.Value));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "v" + i), results.Select(r => r.Message.Value));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "k" + i), results.Select(r => r.Message.Key));
        Assert.Equal("x7"u8.ToArray(), results[7].Message.Headers!.GetLastBytes("h"));
        Assert.Equal(TimestampType.CreateTime, results[0].Message.Timestamp.Type);
        Assert.Equal(10, consumer.Position(new TopicPartition("t", 0)).Value);
    }

    [Fact]
    public async Task Assign_from_an_offset_inside_a_batch_skips_the_records_before_it()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 10);
        using var consumer = cluster.Consumer(cluster.Config());
        consumer.Assign([new TopicPartitionOffset("t", 0, 4)]);

        var results = ConsumerTestCluster.ConsumeN(consumer, 6);

        Assert.Equal([4L, 5, 6, 7, 8, 9], results.Select(r => r.Offset.Value));
    }

    [Fact]
    public async Task Assign_at_beginning_and_at_end()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 3);
        using var fromStart = cluster.Consumer(cluster.Config());
        using var fromEnd = cluster.Consumer(cluster.Config());
        fromStart.Assign([new TopicPartitionOffset("t", 0, Offset.Beginning)]);
        fromEnd.Assign([new TopicPartitionOffset("t", 0, Offset.End)]);

        Assert.Equal(["v0", "v1", "v2"], ConsumerTestCluster.ConsumeN(fromStart, 3).Select(r => r.Message.Value));
        Assert.True(ConsumerTestCluster.Eventually(() =>
        {
            fromEnd.Consume(TimeSpan.FromMilliseconds(10));
            return fromEnd.Position(new TopicPartition("t", 0)) == 3;
        }));
        await cluster.ProduceAsync("t", 0, 2, "new");

        Assert.Equal(["new0", "new1"], ConsumerTestCluster.ConsumeN(fromEnd, 2).Select(r => r.Message.Value));
    }

    [Fact]
    public async Task Records_of_several_partitions_all_arrive_in_order_per_partition()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 3);
        for (int p = 0; p < 3; p++)
        {
            for (int b = 0; b < 4; b++)
            {
                await cluster.ProduceAsync("t", p, 25, $"p{p}-", start: b * 25);
            }
        }
        using var consumer = cluster.Consumer(cluster.Config(configure: c => c.MaxPartitionFetchBytes = 2000));
        consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset("t", p, Offset.Beginning)));

        var results = ConsumerTestCluster.ConsumeN(consumer, 300);

        Assert.Equal(300, results.Count);
        for (int p = 0; p < 3; p++)
        {
            Assert.Equal(Enumerable.Range(0, 100).Select(i => $"p{p}-{i}"), results.Where(r => r.Partition == p).Select(r => r.Message.Value));
        }
    }

    [Fact]
    public async Task A_batch_larger_than_max_partition_fetch_bytes_is_still_read()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 200, new string('x', 100));
        using var consumer = cluster.Consumer(cluster.Config(configure: c => c.MaxPartitionFetchBytes = 1024));
        consumer.Assign([new TopicPartitionOffset("t", 0, 0)]);

        Assert.Equal(200, ConsumerTestCluster.ConsumeN(consumer, 200).Count);
    }

    [Fact]
    public async Task Seek_moves_the_position_and_drops_buffered_records()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 20);
        using var consumer = cluster.Consumer(cluster.Config());
        var tp = new TopicPartition("t", 0);
        consumer.Assign([new TopicPartitionOffset(tp, 0)]);
        Assert.Equal(5, ConsumerTestCluster.ConsumeN(consumer, 5).Count);

        consumer.Seek(new TopicPartitionOffset(tp, 15));
        Assert.Equal([15L, 16, 17], ConsumerTestCluster.ConsumeN(consumer, 3).Select(r => r.Offset.Value));
        consumer.Seek(new TopicPartitionOffset(tp, 2));
        Assert.Equal([2L, 3], ConsumerTestCluster.ConsumeN(consumer, 2).Select(r => r.Offset.Value));
        consumer.Seek(new TopicPartitionOffset(tp, Offset.Beginning));
        Assert.Equal(0, ConsumerTestCluster.ConsumeN(consumer, 1)[0].Offset.Value);
    }

    [Fact]
    public async Task Paused_partitions_are_not_read_until_resumed()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 2);
        await cluster.ProduceAsync("t", 0, 10, "a");
        await cluster.ProduceAsync("t", 1, 10, "b");
        using var consumer = cluster.Consumer(cluster.Config());
        var p0 = new TopicPartition("t", 0);
        consumer.Assign([new TopicPartitionOffset(p0, 0), new TopicPartitionOffset("t", 1, 0)]);
        var first = ConsumerTestCluster.ConsumeN(consumer, 1);
        consumer.Pause([p0]);

        var rest = new List<ConsumeResult<string?, string?>>(first);
        long end = Environment.TickCount64 + 1500;
        while (Environment.TickCount64 < end)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(50)) is { } r)
            {
                rest.Add(r);
            }
        }
        int p0Before = rest.Count(r => r.Partition == 0);
        Assert.Equal(10, rest.Count(r => r.Partition == 1));
        Assert.True(p0Before <= 1, $"{p0Before} records of the paused partition were returned");

        consumer.Resume([p0]);
        rest.AddRange(ConsumerTestCluster.ConsumeN(consumer, 10 - p0Before));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "a" + i), rest.Where(r => r.Partition == 0).Select(r => r.Message.Value));
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Compressed_batches_are_read(CompressionType codec)
    {
        Assert.True(CompressionCodec.IsAvailable(codec), $"{codec} is not installed on this machine");
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 50, "c", codec);
        await cluster.ProduceAsync("t", 0, 50, "c", codec, start: 50);
        using var consumer = cluster.Consumer(cluster.Config(configure: c => c.Set("check.crcs", "true")));
        consumer.Assign([new TopicPartitionOffset("t", 0, 30)]);

        var results = ConsumerTestCluster.ConsumeN(consumer, 70);

        Assert.Equal(Enumerable.Range(30, 70).Select(i => "c" + i), results.Select(r => r.Message.Value));
    }

    [Fact]
    public async Task Read_committed_hides_an_aborted_transaction_and_read_uncommitted_shows_it()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 2, "before");
        await cluster.ProduceTransactionAsync("tx", "t", 0, 3, "aborted", commit: false);
        await cluster.ProduceTransactionAsync("tx", "t", 0, 2, "committed", commit: true);
        await cluster.ProduceAsync("t", 0, 1, "after");
        using var committed = cluster.Consumer(cluster.Config());
        using var uncommitted = cluster.Consumer(cluster.Config(configure: c => c.IsolationLevel = IsolationLevel.ReadUncommitted));
        committed.Assign([new TopicPartitionOffset("t", 0, 0)]);
        uncommitted.Assign([new TopicPartitionOffset("t", 0, 0)]);

        var seen = ConsumerTestCluster.ConsumeN(committed, 5).Select(r => r.Message.Value).ToList();
        var all = ConsumerTestCluster.ConsumeN(uncommitted, 8).Select(r => r.Message.Value).ToList();

        Assert.Equal(["before0", "before1", "committed0", "committed1", "after0"], seen);
        Assert.Null(committed.Consume(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(["before0", "before1", "aborted0", "aborted1", "aborted2", "committed0", "committed1", "after0"], all);
    }

    [Fact]
    public async Task Auto_offset_reset_none_without_a_committed_offset_throws_offset_out_of_range()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 3);
        using var consumer = cluster.Consumer(cluster.Config("g-none", c => c.AutoOffsetReset = AutoOffsetReset.Error));
        consumer.Assign([new TopicPartition("t", 0)]);

        var error = Assert.Throws<ConsumeException>(() => consumer.Consume(TimeSpan.FromSeconds(5)));

        Assert.Equal(ErrorCode.OffsetOutOfRange, error.Error);
        Assert.Equal(new TopicPartition("t", 0), error.Position.TopicPartition);
    }

    [Fact]
    public async Task An_offset_past_the_end_applies_auto_offset_reset()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 3);
        using var consumer = cluster.Consumer(cluster.Config());
        consumer.Assign([new TopicPartitionOffset("t", 0, 100)]);

        Assert.Equal(["v0", "v1", "v2"], ConsumerTestCluster.ConsumeN(consumer, 3).Select(r => r.Message.Value));
    }

    [Fact]
    public async Task ConsumeBatch_hands_records_to_the_visitor_as_spans()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 40);
        using var consumer = cluster.Consumer(cluster.Config());
        consumer.Assign([new TopicPartitionOffset("t", 0, 0)]);
        var visitor = new CollectingVisitor();

        Assert.True(ConsumerTestCluster.Eventually(() =>
        {
            consumer.ConsumeBatch(visitor, TimeSpan.FromMilliseconds(100));
            return visitor.Values.Count >= 40;
        }));

        Assert.Equal(Enumerable.Range(0, 40).Select(i => "v" + i), visitor.Values);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), visitor.Offsets);
        Assert.Equal(40, visitor.Headers);
    }

    [Fact]
    public async Task Enable_partition_eof_reports_the_end_once_per_arrival_there()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 2);
        using var consumer = cluster.Consumer(cluster.Config(configure: c => c.EnablePartitionEof = true));
        consumer.Assign([new TopicPartitionOffset("t", 0, 0)]);

        var results = new List<ConsumeResult<string?, string?>>();
        Assert.True(ConsumerTestCluster.Eventually(() =>
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(50)) is { } r)
            {
                results.Add(r);
            }
            return results.Count == 3;
        }));
        Assert.Equal([false, false, true], results.Select(r => r.IsPartitionEOF));
        Assert.Equal(2, results[2].Offset.Value);
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task ConsumeBatch_does_not_allocate_per_record()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        for (int i = 0; i < 10; i++)
        {
            await cluster.ProduceAsync("t", 0, 1000, start: i * 1000);
        }
        using var consumer = cluster.Consumer(cluster.Config());
        consumer.Assign([new TopicPartitionOffset("t", 0, 0)]);
        var visitor = new CountingVisitor();
        consumer.ConsumeBatch(visitor, ConsumerTestCluster.Deadline);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int counted = visitor.Count;
        long end = Environment.TickCount64 + (long)ConsumerTestCluster.Deadline.TotalMilliseconds;
        while (visitor.Count < 10_000 && Environment.TickCount64 < end)
        {
            consumer.ConsumeBatch(visitor, TimeSpan.FromMilliseconds(100));
        }
        long perRecord = (GC.GetAllocatedBytesForCurrentThread() - before) / Math.Max(1, visitor.Count - counted);

        Assert.Equal(10_000, visitor.Count);
        Assert.True(perRecord < 16, $"{perRecord} bytes allocated per record");
    }

    [Fact]
    public async Task QueryWatermarkOffsets_returns_the_log_start_and_end()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 7);
        using var consumer = cluster.Consumer(cluster.Config());

        var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition("t", 0), TimeSpan.FromSeconds(10));

        Assert.Equal(new WatermarkOffsets(0, 7), watermarks);
    }

    [Fact]
    public async Task ConsumeAllAsync_streams_records()
    {
        await using var cluster = await ConsumerTestCluster.StartAsync();
        await cluster.CreateTopicAsync("t", 1);
        await cluster.ProduceAsync("t", 0, 5);
        using var consumer = cluster.Consumer(cluster.Config());
        consumer.Assign([new TopicPartitionOffset("t", 0, 0)]);
        using var cts = new CancellationTokenSource(ConsumerTestCluster.Deadline);
        var values = new List<string?>();

        await foreach (var result in consumer.ConsumeAllAsync(cts.Token))
        {
            values.Add(result.Message.Value);
            if (values.Count == 5)
            {
                break;
            }
        }

        Assert.Equal(Enumerable.Range(0, 5).Select(i => "v" + i), values);
    }

    [Fact]
    public async Task Dispose_from_another_thread_ends_a_waiting_Consume_with_ObjectDisposedException()
    {
        // Nothing listens on the discard port: the consumer waits for metadata it never gets.
        var config = new ConsumerConfig { BootstrapServers = "127.0.0.1:9", ReconnectBackoffMs = 10, ReconnectBackoffMaxMs = 50 };
        var consumer = new ConsumerBuilder<string, string>(config).Build();
        consumer.Assign([new TopicPartitionOffset("t", 0, Offset.Beginning)]);
        var started = new ManualResetEventSlim();
        var waiting = Task.Factory.StartNew(() =>
        {
            started.Set();
            return consumer.Consume(TimeSpan.FromSeconds(60));
        }, TaskCreationOptions.LongRunning);
        started.Wait();

        consumer.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(ConsumerTestCluster.Deadline));
    }

    [Fact]
    public void Bad_configuration_names_the_key()
    {
        var config = new ConsumerConfig { BootstrapServers = "127.0.0.1:1", GroupId = "g", PartitionAssignmentStrategy = "nonsense" };
        var error = Assert.Throws<ArgumentException>(() => new ConsumerBuilder<string, string>(config).Build());
        Assert.Contains("partition.assignment.strategy", error.Message);

        config = new ConsumerConfig { BootstrapServers = "127.0.0.1:1", SessionTimeoutMs = 1000, HeartbeatIntervalMs = 2000 };
        error = Assert.Throws<ArgumentException>(() => new ConsumerBuilder<string, string>(config).Build());
        Assert.Contains("heartbeat.interval.ms", error.Message);

        config = new ConsumerConfig { BootstrapServers = "127.0.0.1:1" };
        config.Set("fetch.min.bytes", "lots");
        error = Assert.Throws<ArgumentException>(() => new ConsumerBuilder<string, string>(config).Build());
        Assert.Contains("fetch.min.bytes", error.Message);
    }

    private sealed class CountingVisitor : IRecordVisitor
    {
        public int Count { get; private set; }

        public void OnRecord(in ConsumedRecord record) => Count += record.Value.Length > 0 ? 1 : 0;
    }

    private sealed class CollectingVisitor : IRecordVisitor
    {
        public List<string> Values { get; } = [];

        public List<long> Offsets { get; } = [];

        public int Headers { get; private set; }

        public void OnRecord(in ConsumedRecord record)
        {
            Values.Add(System.Text.Encoding.UTF8.GetString(record.Value));
            Offsets.Add(record.Offset);
            foreach (var header in record.Headers)
            {
                Headers += header.Key.SequenceEqual("h"u8) ? 1 : 0;
            }
        }
    }
}
