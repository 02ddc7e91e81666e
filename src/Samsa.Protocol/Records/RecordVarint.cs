using System.Runtime.CompilerServices;

namespace Samsa.Protocol.Records;

/// <summary>
/// Zig-zag varints of the record format: 7 bits per byte, low group first, high bit = more follows.
/// An int32 takes at most 5 bytes, an int64 at most 10. Readers check every byte against the span's end.
/// </summary>
internal static class RecordVarint
{
    public const int MaxVarintBytes = 5;
    public const int MaxVarlongBytes = 10;

    public static int SizeOfVarint(int value) => SizeOfUnsigned(ZigZag(value));

    public static int SizeOfVarlong(long value) => SizeOfUnsigned(ZigZag(value));

    public static int WriteVarint(Span<byte> destination, int value) => WriteUnsigned(destination, ZigZag(value));

    public static int WriteVarlong(Span<byte> destination, long value) => WriteUnsigned(destination, ZigZag(value));

    /// <summary>Reads a zig-zag int32 at <paramref name="position"/> and advances it; throws <see cref="InvalidRecordException"/> when malformed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadVarint(ReadOnlySpan<byte> source, ref int position)
    {
        uint pos = (uint)position;
        if (pos < (uint)source.Length && source[(int)pos] < 0x80)
        {
            position++;
            uint single = source[(int)pos];
            return (int)(single >> 1) ^ -(int)(single & 1);
        }

        return ReadVarintSlow(source, ref position);
    }

    /// <summary>Reads a zig-zag int64 at <paramref name="position"/> and advances it; throws <see cref="InvalidRecordException"/> when malformed.</summary>
    public static long ReadVarlong(ReadOnlySpan<byte> source, ref int position)
    {
        ulong result = 0;
        int shift = 0;
        int pos = position;
        for (int i = 0; i < MaxVarlongBytes; i++)
        {
            if ((uint)pos >= (uint)source.Length)
            {
                RecordThrowHelper.ThrowInvalidRecord("Truncated varlong.");
            }

            byte b = source[pos++];
            if (i == MaxVarlongBytes - 1 && b > 0x01)
            {
                RecordThrowHelper.ThrowInvalidRecord("Varlong is too long.");
            }

            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                position = pos;
                return (long)(result >> 1) ^ -(long)(result & 1);
            }

            shift += 7;
        }

        RecordThrowHelper.ThrowInvalidRecord("Varlong is too long.");
        return 0;
    }

    private static int ReadVarintSlow(ReadOnlySpan<byte> source, ref int position)
    {
        uint result = 0;
        int shift = 0;
        int pos = position;
        for (int i = 0; i < MaxVarintBytes; i++)
        {
            if ((uint)pos >= (uint)source.Length)
            {
                RecordThrowHelper.ThrowInvalidRecord("Truncated varint.");
            }

            byte b = source[pos++];
            if (i == MaxVarintBytes - 1 && b > 0x0F)
            {
                RecordThrowHelper.ThrowInvalidRecord("Varint is too long.");
            }

            result |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                position = pos;
                return (int)(result >> 1) ^ -(int)(result & 1);
            }

            shift += 7;
        }

        RecordThrowHelper.ThrowInvalidRecord("Varint is too long.");
        return 0;
    }

    private static uint ZigZag(int value) => (uint)((value << 1) ^ (value >> 31));

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static int SizeOfUnsigned(ulong value)
    {
        int size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }

    private static int WriteUnsigned(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }
}
