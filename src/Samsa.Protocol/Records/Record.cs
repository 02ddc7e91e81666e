namespace Samsa.Protocol.Records;

/// <summary>
/// One record of an uncompressed batch, viewed in place (produced by <see cref="RecordReader"/>).
/// Wire layout: Length varint, Attributes int8, TimestampDelta varlong, OffsetDelta varint,
/// KeyLength varint + key, ValueLength varint + value, HeaderCount varint, headers. Length -1 means null.
/// </summary>
public readonly ref struct Record
{
    private readonly ReadOnlySpan<byte> _headers;

    internal Record(
        sbyte attributes,
        long timestampDelta,
        int offsetDelta,
        ReadOnlySpan<byte> key,
        bool isKeyNull,
        ReadOnlySpan<byte> value,
        bool isValueNull,
        int headerCount,
        ReadOnlySpan<byte> headers,
        int sizeInBytes)
    {
        Attributes = attributes;
        TimestampDelta = timestampDelta;
        OffsetDelta = offsetDelta;
        Key = key;
        IsKeyNull = isKeyNull;
        Value = value;
        IsValueNull = isValueNull;
        HeaderCount = headerCount;
        _headers = headers;
        SizeInBytes = sizeInBytes;
    }

    /// <summary>Record-level attributes (unused by Kafka so far; always 0 from current clients).</summary>
    public sbyte Attributes { get; }

    /// <summary>Timestamp minus the batch's BaseTimestamp.</summary>
    public long TimestampDelta { get; }

    /// <summary>Offset minus the batch's BaseOffset.</summary>
    public int OffsetDelta { get; }

    /// <summary>The key bytes; empty when <see cref="IsKeyNull"/>.</summary>
    public ReadOnlySpan<byte> Key { get; }

    public bool IsKeyNull { get; }

    /// <summary>The value bytes; empty when <see cref="IsValueNull"/> (a tombstone).</summary>
    public ReadOnlySpan<byte> Value { get; }

    public bool IsValueNull { get; }

    public int HeaderCount { get; }

    /// <summary>Bytes this record occupies in the batch, including its length prefix.</summary>
    public int SizeInBytes { get; }

    /// <summary>Enumerates the record's headers in place.</summary>
    public RecordHeaderEnumerator Headers => new(_headers, HeaderCount);
}
