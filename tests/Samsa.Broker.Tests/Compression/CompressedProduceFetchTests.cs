using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Tests.Compression;

/// <summary>Compressed batches through a live broker: stored as sent, or recompressed and restamped per topic settings.</summary>
public sealed class CompressedProduceFetchTests : IAsyncLifetime
{
    private TestBroker _broker = null!;
    private RawConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync();
        _connection = await _broker.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _broker.DisposeAsync();
    }

    public static TheoryData<CompressionType> Codecs() => LogValidatorTests.Codecs();

    private async Task CreateTopicAsync(string name, params (string Key, string Value)[] configs)
    {
        var request = Requests.CreateTopic(name, 1);
        foreach (var (key, value) in configs)
        {
            request.Topics[0].Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = key, Value = value });
        }

        var response = await _connection.SendAsync<CreateTopicsResponse>(request, 5);
        Assert.Equal(0, response.Topics[0].ErrorCode);
    }

    private async Task<ProduceResponse.PartitionProduceResponse> ProduceAsync(string topic, byte[] batch, short version = 9)
    {
        var response = await _connection.SendAsync<ProduceResponse>(Requests.Produce(topic, 0, batch), version);
        return response.Responses[0].PartitionResponses[0];
    }

    private async Task<byte[]> FetchAllAsync(string topic)
    {
        var response = await _connection.SendAsync<FetchResponse>(Requests.Fetch(topic, 0, 0), 12);
        Assert.Equal(0, response.Responses[0].Partitions[0].ErrorCode);
        return response.Responses[0].Partitions[0].Records!.Value.ToArray();
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task Compressed_batch_is_stored_exactly_as_produced(CompressionType codec)
    {
        await CreateTopicAsync("t");
        byte[] first = LogValidatorTests.Batch(codec, timestamp: Now());
        // The same producer's next batch: its sequence follows the first batch's 20 records.
        byte[] second = LogValidatorTests.Batch(codec, count: 5, timestamp: Now(), baseSequence: 32);
        Assert.Equal(0, (await ProduceAsync("t", first.ToArray())).ErrorCode);
        var result = await ProduceAsync("t", second.ToArray());
        Assert.Equal(0, result.ErrorCode);
        Assert.Equal(20, result.BaseOffset);

        byte[] stored = await FetchAllAsync("t");
        RecordBatchHeader.TryRead(stored, out RecordBatchHeader header);
        Assert.Equal(first.Length + second.Length, stored.Length);
        Assert.Equal(first.AsSpan(RecordBatchHeader.MagicOffset).ToArray(), stored.AsSpan(RecordBatchHeader.MagicOffset, first.Length - RecordBatchHeader.MagicOffset).ToArray());
        Assert.Equal(20, stored.AsSpan(first.Length + 7)[0]); // second batch's BaseOffset (big-endian) stamped to 20
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task Topic_compression_type_recompresses_to_the_topics_codec(CompressionType codec)
    {
        await CreateTopicAsync("zstd-topic", ("compression.type", "zstd"));
        byte[] batch = LogValidatorTests.Batch(codec, timestamp: Now());
        byte[] plain = codec == CompressionType.None ? batch.ToArray() : RecordBatchCompression.Decompress(batch);
        Assert.Equal(0, (await ProduceAsync("zstd-topic", batch)).ErrorCode);

        byte[] stored = await FetchAllAsync("zstd-topic");
        RecordBatchHeader.TryRead(stored, out RecordBatchHeader header);
        Assert.Equal(CompressionType.Zstd, header.Compression);
        Assert.True(RecordBatch.IsCrcValid(stored));
        byte[] decompressed = RecordBatchCompression.Decompress(stored);
        Assert.Equal(plain.AsSpan(RecordBatchHeader.RecordsOffset).ToArray(), decompressed.AsSpan(RecordBatchHeader.RecordsOffset).ToArray());
    }

    [Fact]
    public async Task Uncompressed_topic_stores_records_decompressed()
    {
        await CreateTopicAsync("plain", ("compression.type", "uncompressed"));
        Assert.Equal(0, (await ProduceAsync("plain", LogValidatorTests.Batch(CompressionType.Snappy, timestamp: Now()))).ErrorCode);
        byte[] stored = await FetchAllAsync("plain");
        RecordBatchHeader.TryRead(stored, out RecordBatchHeader header);
        Assert.Equal(CompressionType.None, header.Compression);
        Assert.Equal(20, header.RecordsCount);
        byte[] copy = stored.AsSpan(0, (int)header.TotalSize).ToArray();
        RecordBatch.SetBaseOffset(copy, 0);
        Assert.Equal(ErrorCode.None, BatchValidator.ValidateProduceRecords(copy, out _, out int count));
        Assert.Equal(20, count);
    }

    [Theory]
    [InlineData(3, (short)ErrorCode.UnsupportedCompressionType)]
    [InlineData(6, (short)ErrorCode.UnsupportedCompressionType)]
    [InlineData(7, (short)ErrorCode.None)]
    public async Task Zstd_needs_produce_v7(short version, short expected)
    {
        await CreateTopicAsync("zstd-v" + version);
        Assert.Equal(expected, (await ProduceAsync("zstd-v" + version, LogValidatorTests.Batch(CompressionType.Zstd, timestamp: Now()), version)).ErrorCode);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task Log_append_time_topic_stamps_the_batch_header(CompressionType codec)
    {
        await CreateTopicAsync("lat", ("message.timestamp.type", "LogAppendTime"));
        long before = Now();
        var produced = await ProduceAsync("lat", LogValidatorTests.Batch(codec, timestamp: 1_000));
        Assert.Equal(0, produced.ErrorCode);
        long after = Now();
        Assert.InRange(produced.LogAppendTimeMs, before, after);

        byte[] stored = await FetchAllAsync("lat");
        RecordBatchHeader.TryRead(stored, out RecordBatchHeader header);
        Assert.Equal(TimestampType.LogAppendTime, header.TimestampType);
        Assert.InRange(header.MaxTimestamp, before, after);
        Assert.Equal(1_000, header.BaseTimestamp);
        Assert.Equal(codec, header.Compression);
        Assert.True(RecordBatch.IsCrcValid(stored));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task Compacted_topic_rejects_a_record_without_a_key(CompressionType codec)
    {
        await CreateTopicAsync("compacted", ("cleanup.policy", "compact"));
        Assert.Equal((short)ErrorCode.InvalidRecord, (await ProduceAsync("compacted", LogValidatorTests.Batch(codec, keys: false, timestamp: Now()))).ErrorCode);
        Assert.Equal(0, (await ProduceAsync("compacted", LogValidatorTests.Batch(codec, timestamp: Now()))).ErrorCode);
    }

    [Fact]
    public async Task Timestamp_outside_the_topic_bounds_is_invalid_timestamp()
    {
        await CreateTopicAsync("bounded", ("message.timestamp.before.max.ms", "3600000"), ("message.timestamp.after.max.ms", "3600000"));
        long now = Now();
        Assert.Equal((short)ErrorCode.InvalidTimestamp, (await ProduceAsync("bounded", LogValidatorTests.Batch(CompressionType.Lz4, timestamp: now - 2 * 86_400_000))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidTimestamp, (await ProduceAsync("bounded", LogValidatorTests.Batch(CompressionType.Lz4, timestamp: now + 2 * 86_400_000))).ErrorCode);
        Assert.Equal(0, (await ProduceAsync("bounded", LogValidatorTests.Batch(CompressionType.Lz4, timestamp: now))).ErrorCode);
    }

    [Fact]
    public async Task Control_batch_from_a_client_is_invalid_record()
    {
        await CreateTopicAsync("c");
        using var builder = new RecordBatchBuilder { IsControl = true, IsTransactional = true, ProducerId = 3, ProducerEpoch = 0, BaseSequence = 0 };
        builder.Append(Now(), [0, 0, 0, 1], [0, 0, 0, 0, 0, 0]);
        Assert.Equal((short)ErrorCode.InvalidRecord, (await ProduceAsync("c", builder.ToArray())).ErrorCode);
    }
}
