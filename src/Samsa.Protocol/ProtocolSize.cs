using System.Text;

namespace Samsa.Protocol;

/// <summary>Encoded sizes, mirroring <see cref="ProtocolWriter"/>.</summary>
public static class ProtocolSize
{
    public static int UnsignedVarint(uint value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }
        return size;
    }

    public static int UnsignedVarint(int value) => UnsignedVarint((uint)value);

    public static int Varint(int value) => UnsignedVarint((uint)((value << 1) ^ (value >> 31)));

    public static int Varlong(long value)
    {
        ulong v = (ulong)((value << 1) ^ (value >> 63));
        int size = 1;
        while (v >= 0x80)
        {
            v >>= 7;
            size++;
        }
        return size;
    }

    public static int String(string value, bool compact)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        return Length(length, compact, 2) + length;
    }

    public static int NullableString(string? value, bool compact) =>
        value is null ? Length(-1, compact, 2) : String(value, compact);

    public static int Bytes(byte[] value, bool compact) => Length(value.Length, compact, 4) + value.Length;

    public static int NullableBytes(byte[]? value, bool compact) =>
        value is null ? Length(-1, compact, 4) : Bytes(value, compact);

    public static int Records(ReadOnlyMemory<byte>? records, bool compact) =>
        records is null ? Length(-1, compact, 4) : Length(records.Value.Length, compact, 4) + records.Value.Length;

    public static int ArrayLength(int count, bool compact) => Length(count, compact, 4);

    private static int Length(int length, bool compact, int classicSize) =>
        compact ? UnsignedVarint((uint)(length + 1)) : classicSize;
}
