using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Samsa.Protocol.Records;

/// <summary>
/// Builds one uncompressed record batch v2 (see <see cref="RecordBatchHeader"/> for the header layout and
/// <see cref="Record"/> for the record layout). Records are encoded into a pooled buffer as they are appended;
/// the header (lengths, deltas, timestamps, CRC) is filled in when the batch is written out. BaseTimestamp is the
/// first record's timestamp; offset deltas run 0..n-1. Not thread-safe. Dispose returns the buffer to the pool.
/// </summary>
public sealed class RecordBatchBuilder : IDisposable
{
    private readonly ArrayPool<byte> _pool;
    private byte[] _buffer;
    private int _length = RecordBatchHeader.HeaderSize;
    private int _count;
    private long _baseTimestamp = -1;
    private long _maxTimestamp = -1;

    public RecordBatchBuilder(int initialCapacity = 1024)
        : this(initialCapacity, ArrayPool<byte>.Shared)
    {
    }

    /// <summary>A builder whose buffer comes from (and goes back to) <paramref name="pool"/>.</summary>
    public RecordBatchBuilder(int initialCapacity, ArrayPool<byte> pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
        _buffer = pool.Rent(Math.Max(initialCapacity, RecordBatchHeader.HeaderSize + 64));
    }

    /// <summary>BaseOffset to write; producers write 0 and the broker assigns the real one.</summary>
    public long BaseOffset { get; set; }

    public int PartitionLeaderEpoch { get; set; } = RecordBatchHeader.NoPartitionLeaderEpoch;

    public long ProducerId { get; set; } = RecordBatchHeader.NoProducerId;

    public short ProducerEpoch { get; set; } = RecordBatchHeader.NoProducerEpoch;

    public int BaseSequence { get; set; } = RecordBatchHeader.NoSequence;

    public bool IsTransactional { get; set; }

    public bool IsControl { get; set; }

    public TimestampType TimestampType { get; set; }

    /// <summary>Records appended so far.</summary>
    public int Count => _count;

    /// <summary>Size of the batch that <see cref="WriteTo(Span{byte})"/> writes.</summary>
    public int SizeInBytes => _length;

    /// <summary>The first record's timestamp, or -1 before any record.</summary>
    public long BaseTimestamp => _baseTimestamp;

    /// <summary>The largest record timestamp, or -1 before any record.</summary>
    public long MaxTimestamp => _maxTimestamp;

    /// <summary>Appends a record; a null key or value is written with length -1.</summary>
    public void Append(long timestamp, byte[]? key, byte[]? value, ReadOnlySpan<RecordHeader> headers = default) =>
        Append(timestamp, key, key is null, value, value is null, headers);

    /// <summary>Appends a record from spans; the flags say whether key and value are null.</summary>
    public void Append(
        long timestamp,
        ReadOnlySpan<byte> key,
        bool isKeyNull,
        ReadOnlySpan<byte> value,
        bool isValueNull,
        ReadOnlySpan<RecordHeader> headers = default)
    {
        if (_count == 0)
        {
            _baseTimestamp = timestamp;
            _maxTimestamp = timestamp;
        }
        else if (timestamp > _maxTimestamp)
        {
            _maxTimestamp = timestamp;
        }

        long timestampDelta = timestamp - _baseTimestamp;
        int offsetDelta = _count;

        long bodySize = 1
            + RecordVarint.SizeOfVarlong(timestampDelta)
            + RecordVarint.SizeOfVarint(offsetDelta)
            + SizeOfNullableBytes(key.Length, isKeyNull)
            + SizeOfNullableBytes(value.Length, isValueNull)
            + RecordVarint.SizeOfVarint(headers.Length);
        for (int i = 0; i < headers.Length; i++)
        {
            int keyBytes = Encoding.UTF8.GetByteCount(headers[i].Key);
            byte[]? headerValue = headers[i].Value;
            bodySize += RecordVarint.SizeOfVarint(keyBytes) + keyBytes
                + SizeOfNullableBytes(headerValue?.Length ?? 0, headerValue is null);
        }

        if (bodySize > int.MaxValue - RecordVarint.MaxVarintBytes - _length)
        {
            throw new InvalidOperationException("The record batch would exceed 2 GiB.");
        }

        int recordSize = RecordVarint.SizeOfVarint((int)bodySize) + (int)bodySize;
        EnsureCapacity(recordSize);

        Span<byte> destination = _buffer.AsSpan(_length, recordSize);
        int p = RecordVarint.WriteVarint(destination, (int)bodySize);
        destination[p++] = 0;
        p += RecordVarint.WriteVarlong(destination[p..], timestampDelta);
        p += RecordVarint.WriteVarint(destination[p..], offsetDelta);
        p += WriteNullableBytes(destination[p..], key, isKeyNull);
        p += WriteNullableBytes(destination[p..], value, isValueNull);
        p += RecordVarint.WriteVarint(destination[p..], headers.Length);
        for (int i = 0; i < headers.Length; i++)
        {
            string headerKey = headers[i].Key;
            int keyBytes = Encoding.UTF8.GetByteCount(headerKey);
            p += RecordVarint.WriteVarint(destination[p..], keyBytes);
            p += Encoding.UTF8.GetBytes(headerKey, destination[p..]);
            byte[]? headerValue = headers[i].Value;
            p += WriteNullableBytes(destination[p..], headerValue, headerValue is null);
        }

        _length += p;
        _count++;
    }

    /// <summary>Writes the finished batch into <paramref name="destination"/> and returns its size.</summary>
    public int WriteTo(Span<byte> destination)
    {
        if (destination.Length < _length)
        {
            throw new ArgumentException("The destination is smaller than the batch.", nameof(destination));
        }

        FillHeader();
        _buffer.AsSpan(0, _length).CopyTo(destination);
        return _length;
    }

    /// <summary>Writes the finished batch into <paramref name="writer"/>.</summary>
    public void WriteTo(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> destination = writer.GetSpan(_length);
        int written = WriteTo(destination);
        writer.Advance(written);
    }

    /// <summary>
    /// The finished batch in the builder's own buffer: no copy. Valid until the next Append, Reset or Dispose.
    /// </summary>
    public Memory<byte> Build()
    {
        FillHeader();
        return _buffer.AsMemory(0, _length);
    }

    /// <summary>The finished batch as a new array.</summary>
    public byte[] ToArray()
    {
        var result = new byte[_length];
        WriteTo(result);
        return result;
    }

    /// <summary>Forgets the records so the builder can build another batch; header settings are kept.</summary>
    public void Reset()
    {
        _length = RecordBatchHeader.HeaderSize;
        _count = 0;
        _baseTimestamp = -1;
        _maxTimestamp = -1;
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            _pool.Return(buffer);
        }
    }

    private void FillHeader()
    {
        Span<byte> header = _buffer.AsSpan(0, RecordBatchHeader.HeaderSize);
        short attributes = (short)CompressionType.None;
        if (TimestampType == TimestampType.LogAppendTime)
        {
            attributes |= RecordBatchHeader.TimestampTypeMask;
        }

        if (IsTransactional)
        {
            attributes |= RecordBatchHeader.TransactionalMask;
        }

        if (IsControl)
        {
            attributes |= RecordBatchHeader.ControlMask;
        }

        BinaryPrimitives.WriteInt64BigEndian(header, BaseOffset);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.BatchLengthOffset..], _length - RecordBatchHeader.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.PartitionLeaderEpochOffset..], PartitionLeaderEpoch);
        header[RecordBatchHeader.MagicOffset] = RecordBatchHeader.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(header[RecordBatchHeader.AttributesOffset..], attributes);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.LastOffsetDeltaOffset..], _count - 1);
        BinaryPrimitives.WriteInt64BigEndian(header[RecordBatchHeader.BaseTimestampOffset..], _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(header[RecordBatchHeader.MaxTimestampOffset..], _maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(header[RecordBatchHeader.ProducerIdOffset..], ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(header[RecordBatchHeader.ProducerEpochOffset..], ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.BaseSequenceOffset..], BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(header[RecordBatchHeader.RecordsCountOffset..], _count);
        RecordBatch.WriteCrc(_buffer.AsSpan(0, _length));
    }

    private void EnsureCapacity(int additional)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (_buffer.Length - _length >= additional)
        {
            return;
        }

        long wanted = Math.Max((long)_buffer.Length * 2, (long)_length + additional);
        byte[] larger = _pool.Rent((int)Math.Min(wanted, Array.MaxLength));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        _pool.Return(_buffer);
        _buffer = larger;
    }

    private static int SizeOfNullableBytes(int length, bool isNull) =>
        isNull ? 1 : RecordVarint.SizeOfVarint(length) + length;

    private static int WriteNullableBytes(Span<byte> destination, ReadOnlySpan<byte> bytes, bool isNull)
    {
        if (isNull)
        {
            return RecordVarint.WriteVarint(destination, -1);
        }

        int p = RecordVarint.WriteVarint(destination, bytes.Length);
        bytes.CopyTo(destination[p..]);
        return p + bytes.Length;
    }
}
