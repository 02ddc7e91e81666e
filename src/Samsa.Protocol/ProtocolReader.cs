using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace Samsa.Protocol;

/// <summary>
/// A cursor over one received request or response. Every length is checked against the bytes that
/// remain before anything is allocated; malformed input throws <see cref="ProtocolException"/>.
/// Bytes fields of type records are returned as slices of the underlying memory, not copies.
/// </summary>
public ref struct ProtocolReader
{
    /// <summary>Tagged fields per struct beyond this many are treated as an attack, not data.</summary>
    public const int MaxTaggedFields = 1024;

    private readonly ReadOnlyMemory<byte> _memory;
    private readonly ReadOnlySpan<byte> _span;
    private int _position;

    public ProtocolReader(ReadOnlyMemory<byte> memory)
    {
        _memory = memory;
        _span = memory.Span;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _span.Length - _position;

    public bool ReadBool() => Take(1)[0] != 0;

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    public Uuid ReadUuid()
    {
        var bytes = Take(16);
        return new Uuid(BinaryPrimitives.ReadInt64BigEndian(bytes), BinaryPrimitives.ReadInt64BigEndian(bytes[8..]));
    }

    /// <summary>An unsigned LEB128 varint of at most 32 bits, returned as int (values past int.MaxValue are malformed here).</summary>
    public int ReadUnsignedVarint()
    {
        uint result = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            byte b = Take(1)[0];
            result |= (uint)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                if (result > int.MaxValue)
                {
                    Throw("varint out of range");
                }
                return (int)result;
            }
        }
        Throw("varint longer than 5 bytes");
        return 0;
    }

    /// <summary>A zig-zag varint (record fields).</summary>
    public int ReadVarint()
    {
        uint raw = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            byte b = Take(1)[0];
            raw |= (uint)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return (int)(raw >> 1) ^ -(int)(raw & 1);
            }
        }
        Throw("varint longer than 5 bytes");
        return 0;
    }

    /// <summary>A zig-zag varlong (record fields).</summary>
    public long ReadVarlong()
    {
        ulong raw = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = Take(1)[0];
            raw |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return (long)(raw >> 1) ^ -(long)(raw & 1);
            }
        }
        Throw("varlong longer than 10 bytes");
        return 0;
    }

    public string ReadString(bool compact)
    {
        int length = ReadLength(compact, isInt32: false);
        if (length < 0)
        {
            Throw("null string where a value is required");
        }
        return Utf8(Take(length));
    }

    public string? ReadNullableString(bool compact)
    {
        int length = ReadLength(compact, isInt32: false);
        return length < 0 ? null : Utf8(Take(length));
    }

    public byte[] ReadBytes(bool compact)
    {
        int length = ReadLength(compact, isInt32: true);
        if (length < 0)
        {
            Throw("null bytes where a value is required");
        }
        return Take(length).ToArray();
    }

    public byte[]? ReadNullableBytes(bool compact)
    {
        int length = ReadLength(compact, isInt32: true);
        return length < 0 ? null : Take(length).ToArray();
    }

    /// <summary>Record batches: a slice of the received buffer, or null.</summary>
    public ReadOnlyMemory<byte>? ReadRecords(bool compact)
    {
        int length = ReadLength(compact, isInt32: true);
        if (length < 0)
        {
            return null;
        }
        EnsureRemaining(length);
        var slice = _memory.Slice(_position, length);
        _position += length;
        return slice;
    }

    /// <summary>An array's element count, -1 for null. A count larger than the remaining bytes is malformed.</summary>
    public int ReadArrayLength(bool compact)
    {
        int count = ReadLength(compact, isInt32: true);
        if (count > Remaining)
        {
            Throw($"array length {count} exceeds the {Remaining} bytes that remain");
        }
        return count;
    }

    public int ReadTaggedFieldCount()
    {
        int count = ReadUnsignedVarint();
        if (count > MaxTaggedFields || count > Remaining)
        {
            Throw($"tagged field count {count} is out of bounds");
        }
        return count;
    }

    public int ReadTaggedFieldSize()
    {
        int size = ReadUnsignedVarint();
        EnsureRemaining(size);
        return size;
    }

    /// <summary>Checks that a known tagged field used exactly the bytes its size announced.</summary>
    public readonly void EndTaggedField(int start, int size)
    {
        if (_position - start != size)
        {
            Throw($"tagged field announced {size} bytes but used {_position - start}");
        }
    }

    public void Skip(int count) => Take(count);

    /// <summary>Skips a whole tagged-field section (headers carry no tags we use).</summary>
    public void SkipTaggedFields()
    {
        int count = ReadTaggedFieldCount();
        for (int i = 0; i < count; i++)
        {
            ReadUnsignedVarint();
            Skip(ReadTaggedFieldSize());
        }
    }

    /// <summary>The bytes from the cursor to the end.</summary>
    public ReadOnlySpan<byte> ReadRemaining() => Take(Remaining);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_span.Length - _position))
        {
            ThrowTruncated(count);
        }
        var slice = _span.Slice(_position, count);
        _position += count;
        return slice;
    }

    private readonly void EnsureRemaining(int count)
    {
        if ((uint)count > (uint)(_span.Length - _position))
        {
            ThrowTruncated(count);
        }
    }

    /// <summary>A length prefix: int16/int32 classic or compact (unsigned varint N+1); -1 means null.</summary>
    private int ReadLength(bool compact, bool isInt32)
    {
        int length;
        if (compact)
        {
            length = ReadUnsignedVarint() - 1;
        }
        else
        {
            length = isInt32 ? ReadInt32() : ReadInt16();
        }
        if (length < -1)
        {
            Throw($"negative length {length}");
        }
        return length;
    }

    private static string Utf8(ReadOnlySpan<byte> bytes) => bytes.Length == 0 ? string.Empty : Encoding.UTF8.GetString(bytes);

    [DoesNotReturn]
    private readonly void ThrowTruncated(int wanted) =>
        throw new ProtocolException($"truncated: {wanted} bytes wanted at position {_position}, {_span.Length - _position} remain");

    [DoesNotReturn]
    public static void Throw(string message) => throw new ProtocolException(message);

    [DoesNotReturn]
    public static void ThrowNullNotAllowed(string field) => throw new ProtocolException($"null {field} in a version where it is not nullable");
}
