using System.Text;
using Samsa.Protocol.Records;
using Record = Samsa.Protocol.Records.Record;

namespace Samsa.Protocol.Tests.Records;

public sealed class RecordReaderTests
{
    [Fact]
    public void Round_trip_keeps_null_key_null_value_and_empty_bytes_apart()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(10, null, "value"u8.ToArray());
        builder.Append(11, "key"u8.ToArray(), null);
        builder.Append(12, [], []);
        byte[] batch = builder.ToArray();

        var reader = RecordReader.FromBatch(batch);
        Assert.True(reader.MoveNext());
        Assert.True(reader.Current.IsKeyNull);
        Assert.False(reader.Current.IsValueNull);
        Assert.Equal("value"u8, reader.Current.Value);

        Assert.True(reader.MoveNext());
        Assert.False(reader.Current.IsKeyNull);
        Assert.Equal("key"u8, reader.Current.Key);
        Assert.True(reader.Current.IsValueNull);
        Assert.True(reader.Current.Value.IsEmpty);

        Assert.True(reader.MoveNext());
        Assert.False(reader.Current.IsKeyNull);
        Assert.False(reader.Current.IsValueNull);
        Assert.Equal(0, reader.Current.Key.Length);
        Assert.Equal(0, reader.Current.Value.Length);

        Assert.False(reader.MoveNext());
        Assert.True(reader.IsAtEnd);
    }

    [Fact]
    public void Round_trip_keeps_headers_in_order_with_null_values()
    {
        using var builder = new RecordBatchBuilder();
        RecordHeader[] headers =
        [
            new("trace-id", "abc"u8.ToArray()),
            new("empty", []),
            new("gone", null),
            new("ключ", "значение"u8.ToArray()),
        ];
        builder.Append(1, "k"u8.ToArray(), "v"u8.ToArray(), headers);
        byte[] batch = builder.ToArray();

        var reader = RecordReader.FromBatch(batch);
        Assert.True(reader.MoveNext());
        Record record = reader.Current;
        Assert.Equal(4, record.HeaderCount);
        int i = 0;
        foreach (RecordHeaderView header in record.Headers)
        {
            Assert.Equal(headers[i].Key, Encoding.UTF8.GetString(header.Key));
            Assert.Equal(headers[i].Value is null, header.IsValueNull);
            Assert.Equal(headers[i].Value ?? [], header.Value.ToArray());
            i++;
        }

        Assert.Equal(4, i);
    }

    [Fact]
    public void Round_trip_of_many_records_keeps_every_field()
    {
        const int count = 2000;
        var random = new Random(7);
        var keys = new byte[count][];
        var values = new byte[count][];
        var timestamps = new long[count];
        using var builder = new RecordBatchBuilder(64);
        for (int i = 0; i < count; i++)
        {
            keys[i] = new byte[random.Next(0, 40)];
            values[i] = new byte[random.Next(0, 3000)];
            random.NextBytes(keys[i]);
            random.NextBytes(values[i]);
            timestamps[i] = 1_700_000_000_000 + random.Next(-100_000, 100_000);
            builder.Append(timestamps[i], keys[i], values[i], i % 3 == 0 ? [new RecordHeader("n", BitConverter.GetBytes(i))] : default);
        }

        byte[] batch = builder.ToArray();
        RecordBatchHeader.TryRead(batch, out RecordBatchHeader header);
        Assert.Equal(count, header.RecordsCount);
        Assert.Equal(count - 1, header.LastOffsetDelta);
        Assert.Equal(timestamps[0], header.BaseTimestamp);
        Assert.Equal(timestamps.Max(), header.MaxTimestamp);
        Assert.Equal(batch.Length, header.TotalSize);
        Assert.True(RecordBatch.IsCrcValid(batch));

        int n = 0;
        foreach (Record record in RecordReader.FromBatch(batch))
        {
            Assert.Equal(n, record.OffsetDelta);
            Assert.Equal(timestamps[n], header.BaseTimestamp + record.TimestampDelta);
            Assert.True(record.Key.SequenceEqual(keys[n]));
            Assert.True(record.Value.SequenceEqual(values[n]));
            Assert.Equal(n % 3 == 0 ? 1 : 0, record.HeaderCount);
            n++;
        }

        Assert.Equal(count, n);
        Assert.Equal(ErrorCode.None, BatchValidator.ValidateProduceRecords(batch, out _, out int recordCount));
        Assert.Equal(count, recordCount);
    }

    [Fact]
    public void Builder_writes_to_a_buffer_writer_and_resets()
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(1000, "k"u8.ToArray(), "v"u8.ToArray());
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        builder.WriteTo(writer);
        Assert.Equal(RecordBatchTests.HandBuiltBatch(), writer.WrittenSpan.ToArray());

        builder.Reset();
        Assert.Equal(0, builder.Count);
        builder.Append(1000, "k"u8.ToArray(), "v"u8.ToArray());
        Assert.Equal(RecordBatchTests.HandBuiltBatch(), builder.ToArray());
    }

    public static TheoryData<byte[]> MalformedPayloads => new()
    {
        { [0x80] },                                          // truncated length varint
        { [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01] },             // length varint too long
        { [0x10, 0, 0, 0] },                                  // length runs past the end
        { [0x02, 0] },                                        // length below the minimum body
        { [0x0E, 0, 0, 0, 0x02, 0x6B, 0x02, 0x76] },          // length 7 but body needs 8
        { [0x12, 0, 0, 0, 0x02, 0x6B, 0x02, 0x76, 0x00, 0x00] }, // length 9, one stray byte
        { [0x10, 0, 0, 0, 0x03, 0x6B, 0x02, 0x76, 0x00] },    // key length -2
        { [0x10, 0, 0, 0, 0x0A, 0x6B, 0x02, 0x76, 0x00] },    // key length 5 past the body
        { [0x10, 0, 0, 0, 0x02, 0x6B, 0x02, 0x76, 0x02] },    // header count 1 with no header bytes
        { [0x0C, 0, 0, 0, 0x01, 0x01, 0x02, 0x01, 0x00] },    // header key null
    };

    [Theory]
    [MemberData(nameof(MalformedPayloads))]
    public void Malformed_records_throw_InvalidRecordException(byte[] payload)
    {
        Assert.Throws<InvalidRecordException>(() =>
        {
            var reader = new RecordReader(payload);
            while (reader.MoveNext())
            {
                foreach (RecordHeaderView header in reader.Current.Headers)
                {
                    _ = header.Key.Length;
                }
            }
        });
    }

    [Fact]
    public void FromBatch_rejects_compressed_or_truncated_batches()
    {
        byte[] batch = RecordBatchTests.HandBuiltBatch();
        Assert.Throws<InvalidRecordException>(() => RecordReader.FromBatch(batch.AsSpan(0, batch.Length - 1)));
        batch[RecordBatchHeader.AttributesOffset + 1] = 1;
        Assert.Throws<InvalidRecordException>(() => RecordReader.FromBatch(batch));
    }
}
