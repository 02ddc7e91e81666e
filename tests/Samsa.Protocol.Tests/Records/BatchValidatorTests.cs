using System.Buffers.Binary;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Records;

public sealed class BatchValidatorTests
{
    private static byte[] ValidBatch(int records = 3)
    {
        using var builder = new RecordBatchBuilder();
        for (int i = 0; i < records; i++)
        {
            builder.Append(1000 + i, [(byte)i], [1, 2, 3], [new RecordHeader("h", [9])]);
        }

        return builder.ToArray();
    }

    private static ErrorCode Validate(ReadOnlySpan<byte> records) =>
        BatchValidator.ValidateProduceRecords(records, out _, out _);

    [Fact]
    public void Valid_batch_passes_with_counts()
    {
        Assert.Equal(ErrorCode.None, BatchValidator.ValidateProduceRecords(ValidBatch(5), out int batches, out int records));
        Assert.Equal(1, batches);
        Assert.Equal(5, records);
    }

    [Fact]
    public void Hand_built_batch_passes()
    {
        Assert.Equal(ErrorCode.None, Validate(RecordBatchTests.HandBuiltBatch()));
    }

    [Fact]
    public void Wrong_crc_is_corrupt_message()
    {
        byte[] batch = ValidBatch();
        batch[^2] ^= 0x40;
        Assert.Equal(ErrorCode.CorruptMessage, Validate(batch));
    }

    [Fact]
    public void Every_truncation_is_corrupt_message()
    {
        byte[] batch = ValidBatch();
        for (int length = 1; length < batch.Length; length++)
        {
            Assert.Equal(ErrorCode.CorruptMessage, Validate(batch.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Length_shorter_than_a_header_is_corrupt_message()
    {
        byte[] batch = ValidBatch();
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.BatchLengthOffset), 48);
        Assert.Equal(ErrorCode.CorruptMessage, Validate(batch.AsSpan(0, 60)));
    }

    [Fact]
    public void Negative_length_is_corrupt_message()
    {
        byte[] batch = ValidBatch();
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.BatchLengthOffset), -5);
        Assert.Equal(ErrorCode.CorruptMessage, Validate(batch));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Magic_other_than_two_is_unsupported_for_message_format(byte magic)
    {
        byte[] batch = ValidBatch();
        batch[RecordBatchHeader.MagicOffset] = magic;
        Assert.Equal(ErrorCode.UnsupportedForMessageFormat, Validate(batch));
    }

    [Fact]
    public void Two_batches_are_invalid_record()
    {
        byte[] two = [.. ValidBatch(), .. ValidBatch()];
        Assert.Equal(ErrorCode.InvalidRecord, BatchValidator.ValidateProduceRecords(two, out int batches, out _));
        Assert.Equal(2, batches);
    }

    [Fact]
    public void No_batch_is_invalid_record()
    {
        Assert.Equal(ErrorCode.InvalidRecord, Validate([]));
    }

    [Fact]
    public void Records_count_mismatch_is_invalid_record()
    {
        byte[] batch = ValidBatch(3);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.RecordsCountOffset), 4);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), 3);
        RecordBatch.WriteCrc(batch);
        Assert.Equal(ErrorCode.InvalidRecord, Validate(batch));

        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.RecordsCountOffset), 2);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), 1);
        RecordBatch.WriteCrc(batch);
        Assert.Equal(ErrorCode.InvalidRecord, Validate(batch));
    }

    [Fact]
    public void Last_offset_delta_mismatch_is_invalid_record()
    {
        byte[] batch = ValidBatch(3);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.LastOffsetDeltaOffset), 5);
        RecordBatch.WriteCrc(batch);
        Assert.Equal(ErrorCode.InvalidRecord, Validate(batch));
    }

    [Fact]
    public void Zero_records_is_invalid_record()
    {
        using var builder = new RecordBatchBuilder();
        Assert.Equal(ErrorCode.InvalidRecord, Validate(builder.ToArray()));
    }

    [Fact]
    public void Offset_deltas_out_of_order_are_invalid_record()
    {
        byte[] batch = RecordBatchTests.HandBuiltBatch();
        batch[RecordBatchHeader.RecordsOffset + 3] = 0x02; // offset delta 1 for the only record
        RecordBatch.WriteCrc(batch);
        Assert.Equal(ErrorCode.InvalidRecord, Validate(batch));
    }

    [Fact]
    public void Records_not_filling_the_batch_are_invalid_record()
    {
        byte[] batch = [.. RecordBatchTests.HandBuiltBatch(), 0x00];
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.BatchLengthOffset), batch.Length - 12);
        RecordBatch.WriteCrc(batch);
        Assert.Equal(ErrorCode.InvalidRecord, Validate(batch));
    }

    [Fact]
    public void Malformed_record_is_invalid_record()
    {
        byte[] batch = RecordBatchTests.HandBuiltBatch();
        batch[RecordBatchHeader.RecordsOffset + 4] = 0x7E; // key length 63, past the record
        RecordBatch.WriteCrc(batch);
        Assert.Equal(ErrorCode.InvalidRecord, Validate(batch));
    }

    [Fact]
    public void Control_batch_from_a_client_is_invalid_record()
    {
        using var builder = new RecordBatchBuilder { IsControl = true, IsTransactional = true, ProducerId = 1, ProducerEpoch = 0, BaseSequence = 0 };
        builder.Append(1, [0, 0, 0, 1], [0, 0, 0, 0, 0, 0]);
        Assert.Equal(ErrorCode.InvalidRecord, Validate(builder.ToArray()));
    }

    [Fact]
    public void Transactional_batch_without_producer_id_is_invalid_record()
    {
        using var builder = new RecordBatchBuilder { IsTransactional = true };
        builder.Append(1, null, [1]);
        Assert.Equal(ErrorCode.InvalidRecord, Validate(builder.ToArray()));
    }

    [Fact]
    public void Idempotent_batch_with_sequence_passes()
    {
        using var builder = new RecordBatchBuilder { ProducerId = 1000, ProducerEpoch = 0, BaseSequence = 0 };
        builder.Append(1, null, [1]);
        Assert.Equal(ErrorCode.None, Validate(builder.ToArray()));
    }

    [Fact]
    public void Compressed_batch_gets_header_checks_only()
    {
        byte[] batch = ValidBatch(3);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatchHeader.AttributesOffset), (short)CompressionType.Gzip);
        batch[RecordBatchHeader.RecordsOffset] = 0xFF; // payload is not records; only the codec could tell
        RecordBatch.WriteCrc(batch);
        Assert.Equal(ErrorCode.None, BatchValidator.ValidateProduceRecords(batch, out _, out int records));
        Assert.Equal(3, records);
    }
}
