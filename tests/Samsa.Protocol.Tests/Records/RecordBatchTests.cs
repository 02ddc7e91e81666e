using System.Buffers.Binary;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Records;

public sealed class RecordBatchTests
{
    /// <summary>
    /// One record (timestamp 1000, key "k", value "v", no headers), laid out byte by byte from the
    /// format description, with the CRC from the bitwise reference implementation.
    /// </summary>
    internal static byte[] HandBuiltBatch()
    {
        byte[] record =
        [
            0x10,       // record length 8, zig-zag
            0x00,       // attributes
            0x00,       // timestamp delta 0
            0x00,       // offset delta 0
            0x02, 0x6B, // key length 1, "k"
            0x02, 0x76, // value length 1, "v"
            0x00,       // header count 0
        ];
        byte[] header =
        [
            0, 0, 0, 0, 0, 0, 0, 0,                         // base offset 0
            0, 0, 0, 58,                                    // batch length 49 + 9
            0xFF, 0xFF, 0xFF, 0xFF,                         // partition leader epoch -1
            2,                                              // magic
            0, 0, 0, 0,                                     // crc, filled below
            0, 0,                                           // attributes
            0, 0, 0, 0,                                     // last offset delta 0
            0, 0, 0, 0, 0, 0, 0x03, 0xE8,                   // base timestamp 1000
            0, 0, 0, 0, 0, 0, 0x03, 0xE8,                   // max timestamp 1000
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // producer id -1
            0xFF, 0xFF,                                     // producer epoch -1
            0xFF, 0xFF, 0xFF, 0xFF,                         // base sequence -1
            0, 0, 0, 1,                                     // records count 1
        ];
        byte[] batch = [.. header, .. record];
        uint crc = ReferenceCrc32C.Compute(batch.AsSpan(21));
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), crc);
        return batch;
    }

    [Fact]
    public void Builder_output_matches_a_hand_built_batch_byte_for_byte()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(1000, "k"u8.ToArray(), "v"u8.ToArray());
        Assert.Equal(HandBuiltBatch(), builder.ToArray());
    }

    [Fact]
    public void Header_is_parsed_from_a_hand_built_batch()
    {
        byte[] batch = HandBuiltBatch();
        Assert.True(RecordBatchHeader.TryRead(batch, out RecordBatchHeader header));
        Assert.Equal(0, header.BaseOffset);
        Assert.Equal(58, header.BatchLength);
        Assert.Equal(-1, header.PartitionLeaderEpoch);
        Assert.Equal(2, header.Magic);
        Assert.Equal(ReferenceCrc32C.Compute(batch.AsSpan(21)), header.Crc);
        Assert.Equal(0, header.LastOffsetDelta);
        Assert.Equal(1000, header.BaseTimestamp);
        Assert.Equal(1000, header.MaxTimestamp);
        Assert.Equal(-1, header.ProducerId);
        Assert.Equal(-1, header.ProducerEpoch);
        Assert.Equal(-1, header.BaseSequence);
        Assert.Equal(1, header.RecordsCount);
        Assert.Equal(70, header.TotalSize);
        Assert.Equal(CompressionType.None, header.Compression);
        Assert.Equal(TimestampType.CreateTime, header.TimestampType);
        Assert.False(header.IsTransactional);
        Assert.False(header.IsControl);
        Assert.True(RecordBatch.IsCrcValid(batch));
    }

    [Fact]
    public void TryRead_needs_the_whole_header()
    {
        Assert.False(RecordBatchHeader.TryRead(new byte[60], out _));
    }

    [Fact]
    public void Attribute_helpers_decode_each_bit()
    {
        using var builder = new RecordBatchBuilder { IsTransactional = true, IsControl = true, TimestampType = TimestampType.LogAppendTime, ProducerId = 7, ProducerEpoch = 1, BaseSequence = 0 };
        builder.Append(5, null, null);
        byte[] batch = builder.ToArray();
        RecordBatchHeader.TryRead(batch, out RecordBatchHeader header);
        Assert.True(header.IsTransactional);
        Assert.True(header.IsControl);
        Assert.Equal(TimestampType.LogAppendTime, header.TimestampType);
        Assert.Equal(7, header.ProducerId);
        Assert.True(header.HasProducerId);

        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatchHeader.AttributesOffset), 4);
        RecordBatchHeader.TryRead(batch, out header);
        Assert.Equal(CompressionType.Zstd, header.Compression);
    }

    [Fact]
    public void Stamping_offset_and_leader_epoch_keeps_the_crc_valid()
    {
        byte[] batch = HandBuiltBatch();
        RecordBatch.SetBaseOffset(batch, 123_456_789_012);
        RecordBatch.SetPartitionLeaderEpoch(batch, 17);
        Assert.True(RecordBatch.IsCrcValid(batch));
        RecordBatchHeader.TryRead(batch, out RecordBatchHeader header);
        Assert.Equal(123_456_789_012, header.BaseOffset);
        Assert.Equal(17, header.PartitionLeaderEpoch);
        Assert.Equal(123_456_789_012, header.LastOffset);
    }

    [Fact]
    public void SetLogAppendTime_sets_type_and_max_timestamp_and_recomputes_crc()
    {
        byte[] batch = HandBuiltBatch();
        RecordBatch.SetLogAppendTime(batch, 99_999);
        Assert.True(RecordBatch.IsCrcValid(batch));
        RecordBatchHeader.TryRead(batch, out RecordBatchHeader header);
        Assert.Equal(TimestampType.LogAppendTime, header.TimestampType);
        Assert.Equal(99_999, header.MaxTimestamp);
        Assert.Equal(1000, header.BaseTimestamp);

        RecordBatch.SetMaxTimestamp(batch, TimestampType.CreateTime, 1000);
        Assert.Equal(HandBuiltBatch(), batch);
    }

    [Fact]
    public void Crc_change_in_a_covered_byte_is_detected()
    {
        byte[] batch = HandBuiltBatch();
        batch[^1] ^= 0x01;
        Assert.False(RecordBatch.IsCrcValid(batch));
    }

    [Fact]
    public void Crc_ignores_bytes_after_the_batch()
    {
        byte[] batch = [.. HandBuiltBatch(), 1, 2, 3];
        Assert.True(RecordBatch.IsCrcValid(batch));
    }
}
