using System.Buffers.Binary;
using System.Text;
using Samsa.Broker.Cluster;
using Samsa.Broker.Config;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Tests.Compression;

public sealed class LogValidatorTests
{
    private const long Now = 1_700_000_100_000;

    private static readonly EffectiveTopicConfig Producer = new();

    public static TheoryData<CompressionType> Codecs() =>
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    public static TheoryData<CompressionType, BrokerCompressionType> SourceAndTopicCodecs()
    {
        var data = new TheoryData<CompressionType, BrokerCompressionType>();
        foreach (CompressionType source in Codecs())
        {
            foreach (BrokerCompressionType topic in Enum.GetValues<BrokerCompressionType>())
            {
                data.Add(source, topic);
            }
        }

        return data;
    }

    internal static byte[] Plain(int count = 20, bool keys = true, long timestamp = Now - 1000, int valueSize = 50, int baseSequence = 12)
    {
        using var builder = new RecordBatchBuilder { ProducerId = 77, ProducerEpoch = 3, BaseSequence = baseSequence };
        for (int i = 0; i < count; i++)
        {
            builder.Append(
                timestamp + i,
                keys ? Encoding.ASCII.GetBytes("k" + i) : null,
                Encoding.ASCII.GetBytes(new string((char)('a' + i % 26), valueSize)),
                [new RecordHeader("n", [(byte)i])]);
        }

        return builder.ToArray();
    }

    /// <summary>A batch from idempotent producer 77 (epoch 3) starting at <paramref name="baseSequence"/>.</summary>
    internal static byte[] Batch(CompressionType codec, int count = 20, bool keys = true, long timestamp = Now - 1000, int baseSequence = 12) =>
        codec == CompressionType.None
            ? Plain(count, keys, timestamp, baseSequence: baseSequence)
            : RecordBatchCompression.Compress(Plain(count, keys, timestamp, baseSequence: baseSequence), codec);

    private static CompressionType CodecOf(ReadOnlySpan<byte> batch) =>
        (CompressionType)(BinaryPrimitives.ReadInt16BigEndian(batch[RecordBatchHeader.AttributesOffset..]) & RecordBatchHeader.CompressionMask);

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Producer_compression_keeps_the_producers_bytes(CompressionType codec)
    {
        byte[] batch = Batch(codec);
        byte[] original = batch.ToArray();
        using LogValidationResult result = LogValidator.Validate(batch, Producer, Now);
        Assert.Equal(ErrorCode.None, result.Error);
        Assert.False(result.WasRecompressed);
        Assert.Equal(original, result.Records.ToArray());
        Assert.Equal(-1, result.LogAppendTime);
        Assert.Equal(20, result.RecordCount);
    }

    [Theory]
    [MemberData(nameof(SourceAndTopicCodecs))]
    public void Topic_codec_recompresses_only_when_it_differs(CompressionType source, BrokerCompressionType topic)
    {
        byte[] batch = Batch(source);
        byte[] original = batch.ToArray();
        var config = new EffectiveTopicConfig { CompressionType = topic };
        using LogValidationResult result = LogValidator.Validate(batch, config, Now);
        Assert.Equal(ErrorCode.None, result.Error);

        CompressionType expected = LogValidator.TargetCodec(topic) ?? source;
        ReadOnlySpan<byte> stored = result.Records.Span;
        Assert.Equal(expected, CodecOf(stored));
        Assert.Equal(expected != source, result.WasRecompressed);
        if (!result.WasRecompressed)
        {
            Assert.Equal(original, stored.ToArray());
        }

        Assert.True(RecordBatch.IsCrcValid(stored));
        Assert.Equal(Plain(), RecordBatchCompression.Decompress(stored.ToArray()));
        RecordBatchHeader.TryRead(stored, out RecordBatchHeader header);
        Assert.Equal((77L, (short)3, 12), (header.ProducerId, header.ProducerEpoch, header.BaseSequence));
        Assert.True(BatchValidator.ValidateProduceBatch(stored.ToArray(), new RecordValidationPolicy { Now = Now }).IsValid);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Log_append_time_rewrites_only_the_header(CompressionType codec)
    {
        byte[] batch = Batch(codec);
        byte[] original = batch.ToArray();
        var config = new EffectiveTopicConfig { MessageTimestampType = MessageTimestampType.LogAppendTime };
        using LogValidationResult result = LogValidator.Validate(batch, config, Now);
        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(Now, result.LogAppendTime);

        ReadOnlySpan<byte> stored = result.Records.Span;
        RecordBatchHeader.TryRead(stored, out RecordBatchHeader header);
        Assert.Equal(TimestampType.LogAppendTime, header.TimestampType);
        Assert.Equal(Now, header.MaxTimestamp);
        Assert.Equal(Now - 1000, header.BaseTimestamp);
        Assert.True(RecordBatch.IsCrcValid(stored));
        Assert.Equal(original.AsSpan(RecordBatchHeader.RecordsOffset).ToArray(), stored[RecordBatchHeader.RecordsOffset..].ToArray());
    }

    [Fact]
    public void Log_append_time_applies_to_recompressed_batches()
    {
        var config = new EffectiveTopicConfig { MessageTimestampType = MessageTimestampType.LogAppendTime, CompressionType = BrokerCompressionType.Zstd };
        using LogValidationResult result = LogValidator.Validate(Batch(CompressionType.Gzip), config, Now);
        RecordBatchHeader.TryRead(result.Records.Span, out RecordBatchHeader header);
        Assert.Equal((CompressionType.Zstd, TimestampType.LogAppendTime, Now), (header.Compression, header.TimestampType, header.MaxTimestamp));
        Assert.True(RecordBatch.IsCrcValid(result.Records.Span));
    }

    [Fact]
    public void Wrong_max_timestamp_from_a_producer_is_corrected()
    {
        byte[] batch = Batch(CompressionType.Lz4);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(RecordBatchHeader.MaxTimestampOffset), 5);
        RecordBatch.WriteCrc(batch);
        using LogValidationResult result = LogValidator.Validate(batch, Producer, Now);
        RecordBatchHeader.TryRead(result.Records.Span, out RecordBatchHeader header);
        Assert.Equal(Now - 1000 + 19, header.MaxTimestamp);
        Assert.True(RecordBatch.IsCrcValid(result.Records.Span));
    }

    [Theory]
    [InlineData(3, ErrorCode.UnsupportedCompressionType)]
    [InlineData(6, ErrorCode.UnsupportedCompressionType)]
    [InlineData(7, ErrorCode.None)]
    [InlineData(9, ErrorCode.None)]
    public void Zstd_needs_produce_v7(short version, ErrorCode expected)
    {
        using LogValidationResult result = LogValidator.Validate(Batch(CompressionType.Zstd), Producer, Now, version);
        Assert.Equal(expected, result.Error);
        using LogValidationResult lz4 = LogValidator.Validate(Batch(CompressionType.Lz4), Producer, Now, version);
        Assert.Equal(ErrorCode.None, lz4.Error);
    }

    [Fact]
    public void Recompressed_batch_over_max_message_bytes_is_message_too_large()
    {
        byte[] batch = RecordBatchCompression.Compress(Plain(count: 200, valueSize: 1000), CompressionType.Zstd);
        var config = new EffectiveTopicConfig { CompressionType = BrokerCompressionType.Uncompressed, MaxMessageBytes = 50_000 };
        Assert.True(batch.Length < 50_000);
        using LogValidationResult result = LogValidator.Validate(batch, config, Now);
        Assert.Equal(ErrorCode.MessageTooLarge, result.Error);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Compacted_topic_rejects_records_without_keys(CompressionType codec)
    {
        var config = new EffectiveTopicConfig { CleanupPolicy = CleanupPolicy.Compact | CleanupPolicy.Delete };
        using LogValidationResult bad = LogValidator.Validate(Batch(codec, keys: false), config, Now);
        Assert.Equal(ErrorCode.InvalidRecord, bad.Error);
        using LogValidationResult good = LogValidator.Validate(Batch(codec), config, Now);
        Assert.Equal(ErrorCode.None, good.Error);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void Timestamps_outside_the_topic_bounds_are_invalid_timestamp(CompressionType codec)
    {
        var config = new EffectiveTopicConfig { MessageTimestampBeforeMaxMs = 10_000, MessageTimestampAfterMaxMs = 10_000 };
        using LogValidationResult old = LogValidator.Validate(Batch(codec, timestamp: Now - 20_000), config, Now);
        Assert.Equal(ErrorCode.InvalidTimestamp, old.Error);
        using LogValidationResult future = LogValidator.Validate(Batch(codec, timestamp: Now + 20_000), config, Now);
        Assert.Equal(ErrorCode.InvalidTimestamp, future.Error);
        using LogValidationResult fine = LogValidator.Validate(Batch(codec, timestamp: Now - 5_000), config, Now);
        Assert.Equal(ErrorCode.None, fine.Error);
    }

    [Fact]
    public void Deprecated_difference_max_ms_applies_when_the_new_bounds_are_unset()
    {
        var config = new EffectiveTopicConfig { MessageTimestampDifferenceMaxMs = 10_000 };
        using LogValidationResult old = LogValidator.Validate(Batch(CompressionType.Snappy, timestamp: Now - 20_000), config, Now);
        Assert.Equal(ErrorCode.InvalidTimestamp, old.Error);
        var both = config with { MessageTimestampBeforeMaxMs = 60_000 };
        using LogValidationResult allowed = LogValidator.Validate(Batch(CompressionType.Snappy, timestamp: Now - 20_000), both, Now);
        Assert.Equal(ErrorCode.None, allowed.Error);
    }

    [Fact]
    public void Log_append_time_topics_skip_the_timestamp_bounds()
    {
        var config = new EffectiveTopicConfig { MessageTimestampType = MessageTimestampType.LogAppendTime, MessageTimestampBeforeMaxMs = 1 };
        using LogValidationResult result = LogValidator.Validate(Batch(CompressionType.Gzip, timestamp: 0), config, Now);
        Assert.Equal(ErrorCode.None, result.Error);
    }

    [Fact]
    public void Control_batch_from_a_client_is_invalid_record()
    {
        using var builder = new RecordBatchBuilder { IsControl = true, IsTransactional = true, ProducerId = 1, ProducerEpoch = 0, BaseSequence = 0 };
        builder.Append(Now, [0, 0, 0, 0], [0, 0, 0, 0, 0, 0]);
        using LogValidationResult result = LogValidator.Validate(builder.ToArray(), Producer, Now);
        Assert.Equal(ErrorCode.InvalidRecord, result.Error);
    }

    [Fact]
    public void Decompression_bound_is_at_least_max_message_bytes()
    {
        Assert.Equal(64L << 20, LogValidator.MaxDecompressedBytes(new EffectiveTopicConfig()));
        Assert.Equal(200L << 20, LogValidator.MaxDecompressedBytes(new EffectiveTopicConfig { MaxMessageBytes = 200 << 20 }));
    }
}
