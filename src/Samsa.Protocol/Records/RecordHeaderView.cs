namespace Samsa.Protocol.Records;

/// <summary>One record header viewed in place: a UTF-8 key (never null) and a nullable value.</summary>
public readonly ref struct RecordHeaderView
{
    internal RecordHeaderView(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool isValueNull)
    {
        Key = key;
        Value = value;
        IsValueNull = isValueNull;
    }

    /// <summary>The header key as UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> Key { get; }

    /// <summary>The header value; empty when <see cref="IsValueNull"/>.</summary>
    public ReadOnlySpan<byte> Value { get; }

    public bool IsValueNull { get; }
}
