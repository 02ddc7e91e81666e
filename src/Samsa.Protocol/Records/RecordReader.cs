namespace Samsa.Protocol.Records;

/// <summary>
/// Enumerates the records of an uncompressed batch payload (the bytes after the 61-byte header) in place,
/// without allocating. Every length and varint is checked against the bytes that remain; malformed input
/// throws <see cref="InvalidRecordException"/>. Usable in <c>foreach</c>.
/// </summary>
public ref struct RecordReader
{
    /// <summary>Smallest record body: attributes, timestamp delta, offset delta, key length, value length, header count.</summary>
    private const int MinRecordBodySize = 6;

    private readonly ReadOnlySpan<byte> _records;
    private int _position;
    private Record _current;

    /// <summary>Reads records from <paramref name="records"/>, the uncompressed payload of one batch.</summary>
    public RecordReader(ReadOnlySpan<byte> records)
    {
        _records = records;
        _position = 0;
        _current = default;
    }

    /// <summary>A reader over the records of the batch that starts at <paramref name="batch"/>[0]. The batch must be uncompressed.</summary>
    public static RecordReader FromBatch(ReadOnlySpan<byte> batch)
    {
        if (!RecordBatchHeader.TryRead(batch, out RecordBatchHeader header))
        {
            RecordThrowHelper.ThrowInvalidRecord("Record batch is shorter than its header.");
        }

        if (header.Magic != RecordBatchHeader.CurrentMagic)
        {
            RecordThrowHelper.ThrowInvalidRecord("Record batch magic is not 2.");
        }

        if (header.BatchLength < RecordBatchHeader.MinBatchLength || header.TotalSize > batch.Length)
        {
            RecordThrowHelper.ThrowInvalidRecord("Record batch length runs past the end of the buffer.");
        }

        if (header.Compression != CompressionType.None)
        {
            RecordThrowHelper.ThrowInvalidRecord("Record batch is compressed.");
        }

        return new RecordReader(batch[RecordBatchHeader.RecordsOffset..(int)header.TotalSize]);
    }

    public readonly Record Current => _current;

    /// <summary>Bytes of the payload consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>True once every byte of the payload has been consumed.</summary>
    public readonly bool IsAtEnd => _position >= _records.Length;

    public readonly RecordReader GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_position >= _records.Length)
        {
            return false;
        }

        int start = _position;
        int position = _position;
        int length = RecordVarint.ReadVarint(_records, ref position);
        if (length < MinRecordBodySize)
        {
            RecordThrowHelper.ThrowInvalidRecord("Record length is too small.");
        }

        if (length > _records.Length - position)
        {
            RecordThrowHelper.ThrowInvalidRecord("Record length runs past the end of the batch.");
        }

        ReadOnlySpan<byte> body = _records.Slice(position, length);
        int p = 0;
        sbyte attributes = (sbyte)body[p++];
        long timestampDelta = RecordVarint.ReadVarlong(body, ref p);
        int offsetDelta = RecordVarint.ReadVarint(body, ref p);

        ReadOnlySpan<byte> key = ReadNullableBytes(body, ref p, out bool isKeyNull);
        ReadOnlySpan<byte> value = ReadNullableBytes(body, ref p, out bool isValueNull);

        int headerCount = RecordVarint.ReadVarint(body, ref p);
        if (headerCount < 0 || headerCount > (body.Length - p) / 2)
        {
            RecordThrowHelper.ThrowInvalidRecord("Invalid record header count.");
        }

        int headersStart = p;
        for (int i = 0; i < headerCount; i++)
        {
            int keyLength = RecordVarint.ReadVarint(body, ref p);
            if (keyLength < 0 || keyLength > body.Length - p)
            {
                RecordThrowHelper.ThrowInvalidRecord("Invalid record header key length.");
            }

            p += keyLength;
            int valueLength = RecordVarint.ReadVarint(body, ref p);
            if (valueLength < -1 || valueLength > body.Length - p)
            {
                RecordThrowHelper.ThrowInvalidRecord("Invalid record header value length.");
            }

            if (valueLength > 0)
            {
                p += valueLength;
            }
        }

        if (p != body.Length)
        {
            RecordThrowHelper.ThrowInvalidRecord("Record length does not match its contents.");
        }

        _position = position + length;
        _current = new Record(
            attributes,
            timestampDelta,
            offsetDelta,
            key,
            isKeyNull,
            value,
            isValueNull,
            headerCount,
            body[headersStart..],
            _position - start);
        return true;
    }

    private static ReadOnlySpan<byte> ReadNullableBytes(ReadOnlySpan<byte> body, scoped ref int position, out bool isNull)
    {
        int length = RecordVarint.ReadVarint(body, ref position);
        if (length == -1)
        {
            isNull = true;
            return default;
        }

        if (length < -1 || length > body.Length - position)
        {
            RecordThrowHelper.ThrowInvalidRecord("Invalid record key or value length.");
        }

        isNull = false;
        ReadOnlySpan<byte> bytes = body.Slice(position, length);
        position += length;
        return bytes;
    }
}
