using System.Buffers;
using Samsa.Protocol.Compression;

namespace Samsa.Protocol.Records;

/// <summary>
/// Walks the records of a compressed batch as the decompressor yields them, through a fixed 64 KiB window: key, value
/// and header bytes are skipped, never gathered, so memory stays bounded whatever a record's size. Reads the same
/// layout as <see cref="RecordReader"/> and applies the same checks (every length against the record's own length,
/// which must be exactly filled). Every decompressed byte can also be copied to a sink, for recompression. Malformed
/// records throw <see cref="InvalidRecordException"/>. Not thread-safe; dispose to return the window.
/// </summary>
internal sealed class DecompressedRecordScanner : IDisposable
{
    private const int WindowSize = 64 * 1024;
    private const int MinRecordBodySize = 6;

    private readonly RecordsDecompressor _source;
    private readonly IBufferWriter<byte>? _sink;
    private byte[] _window;
    private int _start;
    private int _end;
    private long _position;
    private bool _sourceDone;

    public DecompressedRecordScanner(RecordsDecompressor source, IBufferWriter<byte>? sink)
    {
        _source = source;
        _sink = sink;
        _window = ArrayPool<byte>.Shared.Rent(WindowSize);
    }

    public int OffsetDelta { get; private set; }

    public long TimestampDelta { get; private set; }

    public bool IsKeyNull { get; private set; }

    /// <summary>Decompressed bytes consumed so far.</summary>
    public long Position => _position;

    /// <summary>Reads the next record's metadata; false when the stream ends cleanly between records.</summary>
    public bool MoveNext()
    {
        if (!Fill(1))
        {
            return false;
        }

        int length = ReadVarint();
        if (length < MinRecordBodySize)
        {
            RecordThrowHelper.ThrowInvalidRecord("Record length is too small.");
        }

        if (_end - _start >= length)
        {
            ReadBodyInWindow(length);
            return true;
        }

        long bodyEnd = _position + length;
        if (!Fill(1))
        {
            RecordThrowHelper.ThrowInvalidRecord("The records end inside a record.");
        }

        _start++;
        _position++;
        TimestampDelta = ReadVarlong();
        OffsetDelta = ReadVarint();

        int keyLength = ReadVarint();
        CheckLength(keyLength, -1, bodyEnd);
        IsKeyNull = keyLength == -1;
        Skip(keyLength);

        int valueLength = ReadVarint();
        CheckLength(valueLength, -1, bodyEnd);
        Skip(valueLength);

        int headerCount = ReadVarint();
        if (headerCount < 0 || headerCount > (bodyEnd - _position) / 2)
        {
            RecordThrowHelper.ThrowInvalidRecord("Invalid record header count.");
        }

        for (int i = 0; i < headerCount; i++)
        {
            int headerKeyLength = ReadVarint();
            CheckLength(headerKeyLength, 0, bodyEnd);
            Skip(headerKeyLength);
            int headerValueLength = ReadVarint();
            CheckLength(headerValueLength, -1, bodyEnd);
            Skip(headerValueLength);
        }

        if (_position != bodyEnd)
        {
            RecordThrowHelper.ThrowInvalidRecord("Record length does not match its contents.");
        }

        return true;
    }

    /// <summary>The fast path: the whole record body is in the window, so it is parsed in place as <see cref="RecordReader"/> does.</summary>
    private void ReadBodyInWindow(int length)
    {
        ReadOnlySpan<byte> body = _window.AsSpan(_start, length);
        int p = 1; // attributes
        TimestampDelta = RecordVarint.ReadVarlong(body, ref p);
        OffsetDelta = RecordVarint.ReadVarint(body, ref p);
        int keyLength = RecordVarint.ReadVarint(body, ref p);
        if (keyLength < -1 || keyLength > body.Length - p)
        {
            RecordThrowHelper.ThrowInvalidRecord("Invalid record key, value or header length.");
        }

        IsKeyNull = keyLength == -1;
        p += Math.Max(keyLength, 0);
        int valueLength = RecordVarint.ReadVarint(body, ref p);
        if (valueLength < -1 || valueLength > body.Length - p)
        {
            RecordThrowHelper.ThrowInvalidRecord("Invalid record key, value or header length.");
        }

        p += Math.Max(valueLength, 0);
        int headerCount = RecordVarint.ReadVarint(body, ref p);
        if (headerCount < 0 || headerCount > (body.Length - p) / 2)
        {
            RecordThrowHelper.ThrowInvalidRecord("Invalid record header count.");
        }

        for (int i = 0; i < headerCount; i++)
        {
            int headerKeyLength = RecordVarint.ReadVarint(body, ref p);
            if (headerKeyLength < 0 || headerKeyLength > body.Length - p)
            {
                RecordThrowHelper.ThrowInvalidRecord("Invalid record key, value or header length.");
            }

            p += headerKeyLength;
            int headerValueLength = RecordVarint.ReadVarint(body, ref p);
            if (headerValueLength < -1 || headerValueLength > body.Length - p)
            {
                RecordThrowHelper.ThrowInvalidRecord("Invalid record key, value or header length.");
            }

            p += Math.Max(headerValueLength, 0);
        }

        if (p != body.Length)
        {
            RecordThrowHelper.ThrowInvalidRecord("Record length does not match its contents.");
        }

        _start += length;
        _position += length;
    }

    /// <summary>True when no decompressed byte remains (reading further to find out, within the bound).</summary>
    public bool IsAtEnd() => !Fill(1);

    public void Dispose()
    {
        byte[] window = _window;
        _window = [];
        if (window.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(window);
        }
    }

    private void CheckLength(int length, int minimum, long bodyEnd)
    {
        if (length < minimum || length > bodyEnd - _position)
        {
            RecordThrowHelper.ThrowInvalidRecord("Invalid record key, value or header length.");
        }
    }

    private int ReadVarint()
    {
        Fill(RecordVarint.MaxVarintBytes);
        ReadOnlySpan<byte> available = _window.AsSpan(_start, _end - _start);
        int p = 0;
        int value = RecordVarint.ReadVarint(available, ref p);
        _start += p;
        _position += p;
        return value;
    }

    private long ReadVarlong()
    {
        Fill(RecordVarint.MaxVarlongBytes);
        ReadOnlySpan<byte> available = _window.AsSpan(_start, _end - _start);
        int p = 0;
        long value = RecordVarint.ReadVarlong(available, ref p);
        _start += p;
        _position += p;
        return value;
    }

    private void Skip(int count)
    {
        while (count > 0)
        {
            if (_start == _end && !Fill(1))
            {
                RecordThrowHelper.ThrowInvalidRecord("The records end inside a record.");
            }

            int take = Math.Min(count, _end - _start);
            _start += take;
            _position += take;
            count -= take;
        }
    }

    /// <summary>Makes at least <paramref name="count"/> bytes available if the stream has them; false if it ends first.</summary>
    private bool Fill(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_start > 0)
        {
            _window.AsSpan(_start, _end - _start).CopyTo(_window);
            _end -= _start;
            _start = 0;
        }

        while (_end < count && !_sourceDone)
        {
            Span<byte> free = _window.AsSpan(_end);
            int read = _source.Read(free);
            if (read == 0)
            {
                _sourceDone = true;
                break;
            }

            _sink?.Write(free[..read]);
            _end += read;
        }

        return _end - _start >= count;
    }
}
