using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Samsa.Protocol;

/// <summary>
/// Writes a message into a span sized beforehand by the message's Size(version).
/// Running past the end is a bug in a Size method and throws.
/// With a splice list, records fields holding <see cref="SplicedRecords"/> are not copied: the writer writes their
/// length prefix and adds a <see cref="RecordsSplice"/>, so the span needs room for everything but those bytes.
/// </summary>
public ref struct ProtocolWriter
{
    private readonly Span<byte> _span;
    private readonly List<RecordsSplice>? _splices;
    private int _position;

    public ProtocolWriter(Span<byte> span)
        : this(span, null)
    {
    }

    public ProtocolWriter(Span<byte> span, List<RecordsSplice>? splices)
    {
        _span = span;
        _splices = splices;
        _position = 0;
    }

    public readonly int Position => _position;

    public void WriteBool(bool value) => _span[_position++] = value ? (byte)1 : (byte)0;

    public void WriteInt8(sbyte value) => _span[_position++] = (byte)value;

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_span[_position..], value);
        _position += 2;
    }

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_span[_position..], value);
        _position += 2;
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_span[_position..], value);
        _position += 4;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_span[_position..], value);
        _position += 4;
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_span[_position..], value);
        _position += 8;
    }

    public void WriteFloat64(double value)
    {
        BinaryPrimitives.WriteDoubleBigEndian(_span[_position..], value);
        _position += 8;
    }

    public void WriteUuid(Uuid value)
    {
        value.WriteTo(_span[_position..]);
        _position += 16;
    }

    public void WriteUnsignedVarint(uint value)
    {
        while (value >= 0x80)
        {
            _span[_position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _span[_position++] = (byte)value;
    }

    public void WriteVarint(int value) => WriteUnsignedVarint((uint)((value << 1) ^ (value >> 31)));

    public void WriteVarlong(long value)
    {
        ulong v = (ulong)((value << 1) ^ (value >> 63));
        while (v >= 0x80)
        {
            _span[_position++] = (byte)(v | 0x80);
            v >>= 7;
        }
        _span[_position++] = (byte)v;
    }

    public void WriteString(string value, bool compact)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        WriteLength(length, compact, isInt32: false);
        _position += Encoding.UTF8.GetBytes(value, _span[_position..]);
    }

    public void WriteNullableString(string? value, bool compact)
    {
        if (value is null)
        {
            WriteLength(-1, compact, isInt32: false);
        }
        else
        {
            WriteString(value, compact);
        }
    }

    public void WriteBytes(ReadOnlySpan<byte> value, bool compact)
    {
        WriteLength(value.Length, compact, isInt32: true);
        WriteRaw(value);
    }

    public void WriteNullableBytes(byte[]? value, bool compact)
    {
        if (value is null)
        {
            WriteLength(-1, compact, isInt32: true);
        }
        else
        {
            WriteBytes(value, compact);
        }
    }

    public void WriteRecords(ReadOnlyMemory<byte>? records, bool compact)
    {
        if (records is null)
        {
            WriteLength(-1, compact, isInt32: true);
        }
        else if (_splices is not null
            && MemoryMarshal.TryGetMemoryManager(records.Value, out SplicedRecords? spliced, out int start, out int length))
        {
            WriteLength(length, compact, isInt32: true);
            _splices.Add(new RecordsSplice(_position, spliced, start, length));
        }
        else
        {
            WriteBytes(records.Value.Span, compact);
        }
    }

    public void WriteArrayLength(int count, bool compact) => WriteLength(count, compact, isInt32: true);

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_span[_position..]);
        _position += bytes.Length;
    }

    /// <summary>Hands out the next <paramref name="count"/> bytes for the caller to fill (for example from a file).</summary>
    public Span<byte> Advance(int count)
    {
        var slice = _span.Slice(_position, count);
        _position += count;
        return slice;
    }

    private void WriteLength(int length, bool compact, bool isInt32)
    {
        if (compact)
        {
            WriteUnsignedVarint((uint)(length + 1));
        }
        else if (isInt32)
        {
            WriteInt32(length);
        }
        else
        {
            WriteInt16((short)length);
        }
    }
}
