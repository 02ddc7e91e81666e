namespace Samsa.Protocol.Records;

/// <summary>
/// Enumerates a record's headers without allocating: per header, KeyLength varint + key,
/// ValueLength varint + value (-1 = null value). Usable in <c>foreach</c>.
/// </summary>
public ref struct RecordHeaderEnumerator
{
    private readonly ReadOnlySpan<byte> _headers;
    private readonly int _count;
    private int _index;
    private int _position;
    private RecordHeaderView _current;

    internal RecordHeaderEnumerator(ReadOnlySpan<byte> headers, int count)
    {
        _headers = headers;
        _count = count;
        _index = 0;
        _position = 0;
        _current = default;
    }

    public readonly RecordHeaderView Current => _current;

    public readonly RecordHeaderEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_index >= _count)
        {
            return false;
        }

        int keyLength = RecordVarint.ReadVarint(_headers, ref _position);
        if (keyLength < 0 || keyLength > _headers.Length - _position)
        {
            RecordThrowHelper.ThrowInvalidRecord("Invalid record header key length.");
        }

        ReadOnlySpan<byte> key = _headers.Slice(_position, keyLength);
        _position += keyLength;

        int valueLength = RecordVarint.ReadVarint(_headers, ref _position);
        if (valueLength < -1 || valueLength > _headers.Length - _position)
        {
            RecordThrowHelper.ThrowInvalidRecord("Invalid record header value length.");
        }

        ReadOnlySpan<byte> value = default;
        if (valueLength >= 0)
        {
            value = _headers.Slice(_position, valueLength);
            _position += valueLength;
        }

        _current = new RecordHeaderView(key, value, valueLength < 0);
        _index++;
        return true;
    }
}
