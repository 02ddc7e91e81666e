using System.Buffers.Binary;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Compression;

public sealed class CompressedBatchValidationTests
{
    private const long Now = 1_700_000_000_000;

    private static readonly RecordValidationPolicy Default = new() { Now = Now };

    public static TheoryData<CompressionType> CodecsAndNone()
    {
        var data = CodecTestData.AllCodecs();
        data.Add(CompressionType.None);
        return data;
    }

    private static byte[] Compressed(CompressionType codec, int count = 10, bool withKeys = true, long baseTimestamp = Now) =>
        codec == CompressionType.None
            ? CodecTestData.Batch(count, withKeys: withKeys, baseTimestamp: baseTimestamp)
            : RecordBatchCompression.Compress(CodecTestData.Batch(count, withKeys: withKeys, baseTimestamp: baseTimestamp), codec);

    /// <summary>A batch with <paramref name="codec"/> around a payload the test writes by hand (records or not).</summary>
    private static byte[] WithPayload(CompressionType codec, byte[] uncompressedPayload, int recordsCount)
    {
        byte[] template = CodecTestData.Batch(recordsCount);
        using var writer = new PooledBufferWriter();
        RecordBatchCompression.WriteBatch(template, uncompressedPayload, codec, writer);
        return writer.WrittenSpan.ToArray();
    }

    [Theory]
    [MemberData(nameof(CodecsAndNone))]
    public void Valid_batch_passes_with_count_and_max_timestamp(CompressionType codec)
    {
        byte[] batch = Compressed(codec, 25);
        BatchValidationResult result = BatchValidator.ValidateProduceBatch(batch, Default);
        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(25, result.RecordCount);
        Assert.Equal(Now + 24, result.MaxTimestamp);
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Decompressed_records_reach_the_sink(CompressionType codec)
    {
        byte[] plain = CodecTestData.Batch(50);
        byte[] batch = RecordBatchCompression.Compress(plain, codec);
        using var sink = new PooledBufferWriter();
        Assert.True(BatchValidator.ValidateProduceBatch(batch, Default, sink).IsValid);
        Assert.Equal(plain.AsSpan(RecordBatchHeader.RecordsOffset).ToArray(), sink.WrittenSpan.ToArray());
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Compressed_garbage_with_a_valid_crc_is_corrupt_message(CompressionType codec)
    {
        byte[] batch = Compressed(codec);
        batch.AsSpan(RecordBatchHeader.RecordsOffset + 20, 8).Fill(0xA5);
        RecordBatch.WriteCrc(batch);
        ErrorCode error = BatchValidator.ValidateProduceBatch(batch, Default).Error;
        // Some corruptions still decode (gzip without a trailer check yet, snappy literals) but then the records fail.
        Assert.True(error is ErrorCode.CorruptMessage or ErrorCode.InvalidRecord, error.ToString());
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Records_that_do_not_parse_inside_the_payload_are_invalid_record(CompressionType codec)
    {
        byte[] batch = WithPayload(codec, [0x02, 0x00, 0x00], 1);
        Assert.Equal(ErrorCode.InvalidRecord, BatchValidator.ValidateProduceBatch(batch, Default).Error);
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Fewer_records_than_the_header_says_is_invalid_record(CompressionType codec)
    {
        byte[] plain = CodecTestData.Batch(3);
        byte[] twoRecordsPayload = CodecTestData.Batch(2).AsSpan(RecordBatchHeader.RecordsOffset).ToArray();
        byte[] batch = WithPayload(codec, twoRecordsPayload, 3);
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(plain.AsSpan(RecordBatchHeader.RecordsCountOffset)));
        Assert.Equal(ErrorCode.InvalidRecord, BatchValidator.ValidateProduceBatch(batch, Default).Error);
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void More_records_than_the_header_says_is_invalid_record(CompressionType codec)
    {
        byte[] fourRecordsPayload = CodecTestData.Batch(4).AsSpan(RecordBatchHeader.RecordsOffset).ToArray();
        byte[] batch = WithPayload(codec, fourRecordsPayload, 3);
        Assert.Equal(ErrorCode.InvalidRecord, BatchValidator.ValidateProduceBatch(batch, Default).Error);
    }

    [Theory]
    [MemberData(nameof(CodecsAndNone))]
    public void Missing_key_on_a_compacted_topic_is_invalid_record(CompressionType codec)
    {
        byte[] batch = Compressed(codec, withKeys: false);
        var policy = Default with { RequireKeys = true };
        Assert.Equal(ErrorCode.InvalidRecord, BatchValidator.ValidateProduceBatch(batch, policy).Error);
        Assert.True(BatchValidator.ValidateProduceBatch(Compressed(codec), policy).IsValid);
    }

    [Theory]
    [MemberData(nameof(CodecsAndNone))]
    public void Timestamp_too_old_or_too_new_is_invalid_timestamp(CompressionType codec)
    {
        var policy = Default with { TimestampBeforeMaxMs = 60_000, TimestampAfterMaxMs = 1_000 };
        Assert.True(BatchValidator.ValidateProduceBatch(Compressed(codec, baseTimestamp: Now - 59_000), policy).IsValid);
        Assert.Equal(ErrorCode.InvalidTimestamp, BatchValidator.ValidateProduceBatch(Compressed(codec, baseTimestamp: Now - 61_000), policy).Error);
        Assert.Equal(ErrorCode.InvalidTimestamp, BatchValidator.ValidateProduceBatch(Compressed(codec, count: 10, baseTimestamp: Now - 5), policy with { TimestampAfterMaxMs = 3 }).Error);
    }

    [Theory]
    [MemberData(nameof(CodecsAndNone))]
    public void Timestamp_bounds_do_not_apply_to_log_append_time_topics(CompressionType codec)
    {
        var policy = Default with { TimestampBeforeMaxMs = 1, TimestampType = TimestampType.LogAppendTime };
        Assert.True(BatchValidator.ValidateProduceBatch(Compressed(codec, baseTimestamp: 0), policy).IsValid);
    }

    [Fact]
    public void Invalid_timestamp_wins_over_missing_key()
    {
        byte[] batch = Compressed(CompressionType.Lz4, withKeys: false, baseTimestamp: 5);
        var policy = Default with { RequireKeys = true, TimestampBeforeMaxMs = 1000 };
        Assert.Equal(ErrorCode.InvalidRecord, BatchValidator.ValidateProduceBatch(batch, policy).Error);

        // Record 0 lacks a key (key error), a later record with a key has a bad timestamp: INVALID_TIMESTAMP.
        using var builder = new RecordBatchBuilder();
        builder.Append(Now, null, [1]);
        builder.Append(5, [1], [1]);
        byte[] mixed = RecordBatchCompression.Compress(builder.ToArray(), CompressionType.Lz4);
        Assert.Equal(ErrorCode.InvalidTimestamp, BatchValidator.ValidateProduceBatch(mixed, policy).Error);
    }

    [Fact]
    public void Producer_marking_log_append_time_is_invalid_timestamp_when_no_create_time_applies()
    {
        using var builder = new RecordBatchBuilder { TimestampType = TimestampType.LogAppendTime };
        builder.Append(-1, [1], [1]);
        Assert.Equal(ErrorCode.InvalidTimestamp, BatchValidator.ValidateProduceBatch(builder.ToArray(), Default).Error);
    }

    [Fact]
    public void Control_batch_from_a_client_is_invalid_record()
    {
        using var builder = new RecordBatchBuilder { IsControl = true, IsTransactional = true, ProducerId = 5, ProducerEpoch = 0, BaseSequence = 0 };
        builder.Append(Now, [0, 0, 0, 1], [0, 0, 0, 0, 0, 0]);
        byte[] batch = RecordBatchCompression.Compress(builder.ToArray(), CompressionType.Gzip);
        Assert.Equal(ErrorCode.InvalidRecord, BatchValidator.ValidateProduceBatch(batch, Default).Error);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Unknown_codec_id_is_unsupported_compression_type(short codecId)
    {
        byte[] batch = CodecTestData.Batch(2);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatchHeader.AttributesOffset), codecId);
        RecordBatch.WriteCrc(batch);
        Assert.Equal(ErrorCode.UnsupportedCompressionType, BatchValidator.ValidateProduceBatch(batch, Default).Error);
    }

    [Fact]
    public void Base_offset_other_than_zero_is_invalid_record()
    {
        byte[] batch = Compressed(CompressionType.Zstd);
        RecordBatch.SetBaseOffset(batch, 7);
        Assert.Equal(ErrorCode.InvalidRecord, BatchValidator.ValidateProduceBatch(batch, Default).Error);
    }

    [Fact]
    public void Wrong_crc_on_a_compressed_batch_is_corrupt_message()
    {
        byte[] batch = Compressed(CompressionType.Snappy);
        batch[^1] ^= 1;
        Assert.Equal(ErrorCode.CorruptMessage, BatchValidator.ValidateProduceBatch(batch, Default).Error);
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Payload_over_the_decompression_bound_is_invalid_record(CompressionType codec)
    {
        byte[] batch = Compressed(codec, 200);
        var policy = Default with { MaxDecompressedBytes = 4096 };
        BatchValidationResult result = BatchValidator.ValidateProduceBatch(batch, policy);
        Assert.Equal(ErrorCode.InvalidRecord, result.Error);
        Assert.Contains("4096", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Record_with_a_huge_value_is_skipped_through_a_bounded_window(CompressionType codec)
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(Now, [1], new byte[3 << 20]);
        byte[] batch = RecordBatchCompression.Compress(builder.ToArray(), codec);
        long before = GC.GetAllocatedBytesForCurrentThread();
        BatchValidationResult result = BatchValidator.ValidateProduceBatch(batch, Default);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(result.IsValid, result.Reason);
        if (codec != CompressionType.Snappy)
        {
            // Streaming codecs never hold the 3 MiB value; snappy decodes each 32 KiB xerial chunk whole.
            Assert.True(allocated < 512 * 1024, $"allocated {allocated} bytes");
        }
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Records_straddling_the_64_KiB_window_are_read_exactly(CompressionType codec)
    {
        var random = new Random(5);
        using var builder = new RecordBatchBuilder();
        for (int i = 0; i < 3000; i++)
        {
            byte[] key = new byte[random.Next(0, 40)];
            byte[] value = new byte[random.Next(0, 700)];
            random.NextBytes(value);
            builder.Append(Now + i, key, value, [new RecordHeader("h" + i, new byte[random.Next(0, 30)])]);
        }

        byte[] plain = builder.ToArray();
        using var sink = new PooledBufferWriter();
        BatchValidationResult result = BatchValidator.ValidateProduceBatch(RecordBatchCompression.Compress(plain, codec), Default, sink);
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(3000, result.RecordCount);
        Assert.Equal(plain.Length - RecordBatchHeader.RecordsOffset, result.UncompressedRecordsBytes);
        Assert.Equal(plain.AsSpan(RecordBatchHeader.RecordsOffset).ToArray(), sink.WrittenSpan.ToArray());
    }

    [Fact]
    public void Batch_round_trips_through_every_codec()
    {
        byte[] plain = CodecTestData.Batch(30);
        foreach (CompressionType codec in CodecTestData.Codecs)
        {
            byte[] compressed = RecordBatchCompression.Compress(plain, codec);
            Assert.Equal(codec, (CompressionType)(BinaryPrimitives.ReadInt16BigEndian(compressed.AsSpan(RecordBatchHeader.AttributesOffset)) & 7));
            Assert.True(RecordBatch.IsCrcValid(compressed));
            Assert.Equal(plain, RecordBatchCompression.Decompress(compressed));
        }
    }
}
