using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>DeleteRecords over the wire, and retention settings given at CreateTopics.</summary>
public sealed class DeleteRecordsTests : IAsyncLifetime
{
    private TestBroker _broker = null!;
    private RawConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync(c => c with { LogRetentionCheckIntervalMs = 50 });
        _connection = await _broker.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _broker.DisposeAsync();
    }

    private async Task CreateTopicAsync(string name, int partitions, params (string Key, string Value)[] configs)
    {
        var request = Requests.CreateTopic(name, partitions);
        foreach (var (key, value) in configs)
        {
            request.Topics[0].Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = key, Value = value });
        }
        var response = await _connection.SendAsync<CreateTopicsResponse>(request, 7);
        Assert.Equal(0, response.Topics[0].ErrorCode);
    }

    private async Task ProduceAsync(string topic, int partition, int batches, int recordsPerBatch, long? timestamp = null)
    {
        for (int i = 0; i < batches; i++)
        {
            byte[] batch = timestamp is { } ts ? Batches.Build(recordsPerBatch, timestamp: ts) : Batches.Build(recordsPerBatch);
            var response = await _connection.SendAsync<ProduceResponse>(Requests.Produce(topic, partition, batch), 7);
            Assert.Equal(0, response.Responses[0].PartitionResponses[0].ErrorCode);
        }
    }

    private async Task<DeleteRecordsResponse.DeleteRecordsPartitionResult> DeleteAsync(string topic, int partition, long offset, short version = 2)
    {
        var request = new DeleteRecordsRequest { TimeoutMs = 5000 };
        var t = new DeleteRecordsRequest.DeleteRecordsTopic { Name = topic };
        t.Partitions.Add(new DeleteRecordsRequest.DeleteRecordsPartition { PartitionIndex = partition, Offset = offset });
        request.Topics.Add(t);
        var response = await _connection.SendAsync<DeleteRecordsResponse>(request, version);
        var result = Assert.Single(Assert.Single(response.Topics).Partitions);
        Assert.Equal(partition, result.PartitionIndex);
        return result;
    }

    private async Task<long> EarliestOffsetAsync(string topic, int partition)
    {
        var request = new ListOffsetsRequest { ReplicaId = -1 };
        var t = new ListOffsetsRequest.ListOffsetsTopic { Name = topic };
        t.Partitions.Add(new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = partition, Timestamp = -2 });
        request.Topics.Add(t);
        var response = await _connection.SendAsync<ListOffsetsResponse>(request, 5);
        var result = response.Topics[0].Partitions[0];
        Assert.Equal(0, result.ErrorCode);
        return result.Offset;
    }

    private async Task<FetchResponse.PartitionData> FetchAsync(string topic, int partition, long offset)
    {
        var response = await _connection.SendAsync<FetchResponse>(Requests.Fetch(topic, partition, offset), 11);
        return response.Responses[0].Partitions[0];
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task DeleteRecords_moves_the_low_watermark_and_reads_below_it_are_out_of_range(short version)
    {
        await CreateTopicAsync("trim", 2);
        await ProduceAsync("trim", 0, batches: 3, recordsPerBatch: 5);

        var result = await DeleteAsync("trim", 0, 7, version);
        Assert.Equal(0, result.ErrorCode);
        Assert.Equal(7, result.LowWatermark);
        Assert.Equal(7, await EarliestOffsetAsync("trim", 0));
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, (await FetchAsync("trim", 0, 6)).ErrorCode);
        var fetched = await FetchAsync("trim", 0, 7);
        Assert.Equal(0, fetched.ErrorCode);
        Assert.Equal(7, fetched.LogStartOffset);
        Assert.True(fetched.Records!.Value.Length > 0);

        // A lower offset leaves it where it is; -1 means the high watermark.
        Assert.Equal(7, (await DeleteAsync("trim", 0, 3, version)).LowWatermark);
        Assert.Equal(15, (await DeleteAsync("trim", 0, -1, version)).LowWatermark);
        Assert.Equal(0, (await FetchAsync("trim", 0, 15)).ErrorCode);
        Assert.Equal(0, await EarliestOffsetAsync("trim", 1));
    }

    [Fact]
    public async Task DeleteRecords_errors_match_kafka()
    {
        await CreateTopicAsync("trim", 1);
        await CreateTopicAsync("compacted", 1, ("cleanup.policy", "compact"));
        await CreateTopicAsync("both", 1, ("cleanup.policy", "compact,delete"));
        await ProduceAsync("trim", 0, batches: 1, recordsPerBatch: 5);

        var above = await DeleteAsync("trim", 0, 6);
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, above.ErrorCode);
        Assert.Equal(-1, above.LowWatermark);
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, (await DeleteAsync("trim", 0, -2)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await DeleteAsync("trim", 4, 0)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await DeleteAsync("nowhere", 0, 0)).ErrorCode);
        Assert.Equal((short)ErrorCode.PolicyViolation, (await DeleteAsync("compacted", 0, 0)).ErrorCode);
        Assert.Equal(0, (await DeleteAsync("both", 0, 0)).ErrorCode);
        Assert.Equal(0, await EarliestOffsetAsync("trim", 0));
    }

    [Fact]
    public async Task The_low_watermark_survives_a_restart()
    {
        await CreateTopicAsync("trim", 1);
        await ProduceAsync("trim", 0, batches: 4, recordsPerBatch: 5);
        Assert.Equal(12, (await DeleteAsync("trim", 0, 12)).LowWatermark);

        _connection.Dispose();
        await _broker.RestartAsync();
        _connection = await _broker.ConnectAsync();

        Assert.Equal(12, await EarliestOffsetAsync("trim", 0));
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, (await FetchAsync("trim", 0, 11)).ErrorCode);
    }

    [Fact]
    public async Task Retention_overrides_given_at_create_topics_delete_old_segments()
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long old = now - (3 * 86_400_000L);
        // About 800 bytes per batch: with segment.bytes=1024 every batch gets its own segment.
        await CreateTopicAsync("expiring", 1, ("segment.bytes", "1024"), ("retention.ms", "86400000"), ("file.delete.delay.ms", "0"));
        await CreateTopicAsync("capped", 1, ("segment.bytes", "1024"), ("retention.ms", "-1"), ("retention.bytes", "2000"));
        await CreateTopicAsync("kept", 1, ("segment.bytes", "1024"), ("retention.ms", "86400000"));
        await ProduceAsync("expiring", 0, batches: 4, recordsPerBatch: 30, timestamp: old);
        await ProduceAsync("expiring", 0, batches: 1, recordsPerBatch: 30, timestamp: now);
        await ProduceAsync("capped", 0, batches: 6, recordsPerBatch: 30, timestamp: old);
        await ProduceAsync("kept", 0, batches: 4, recordsPerBatch: 30, timestamp: now);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await EarliestOffsetAsync("expiring", 0) != 120 || await EarliestOffsetAsync("capped", 0) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "retention did not run");
            await Task.Delay(20);
        }

        // capped keeps the fewest newest segments that still hold at least retention.bytes.
        string cappedDir = Path.Combine(_broker.DataDir, "capped-0");
        deadline = DateTime.UtcNow.AddSeconds(20);
        while (Directory.GetFiles(cappedDir, "*.log").Length != 3)
        {
            Assert.True(DateTime.UtcNow < deadline, $"capped has {Directory.GetFiles(cappedDir, "*.log").Length} segments");
            await Task.Delay(20);
        }

        long[] sizes = [.. Directory.GetFiles(cappedDir, "*.log").Order(StringComparer.Ordinal).Select(f => new FileInfo(f).Length)];
        Assert.True(sizes.Sum() >= 2000);
        Assert.True(sizes.Sum() - sizes[0] < 2000);
        Assert.Equal(90, await EarliestOffsetAsync("capped", 0));
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, (await FetchAsync("expiring", 0, 0)).ErrorCode);
        Assert.Equal(0, (await FetchAsync("expiring", 0, 120)).ErrorCode);
        Assert.Equal(0, await EarliestOffsetAsync("kept", 0));
        Assert.Equal(4, Directory.GetFiles(Path.Combine(_broker.DataDir, "kept-0"), "*.log").Length);
    }
}
