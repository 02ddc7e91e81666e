using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Samsa.Protocol.Records;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of record batch v2, computed with
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> (SSE4.2 / ARMv8 CRC instructions where available)
/// eight bytes at a time. Thread-safe (stateless).
/// </summary>
public static class Crc32C
{
    /// <summary>The CRC-32C of <paramref name="data"/> (initial value and final xor 0xFFFFFFFF).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(uint.MaxValue, data);

    /// <summary>Continues a raw (not inverted) CRC state over more bytes.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;
        while (length - i >= 8)
        {
            ulong word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
            if (!BitConverter.IsLittleEndian)
            {
                word = BinaryPrimitives.ReverseEndianness(word);
            }

            crc = BitOperations.Crc32C(crc, word);
            i += 8;
        }

        if (length - i >= 4)
        {
            uint word = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i));
            if (!BitConverter.IsLittleEndian)
            {
                word = BinaryPrimitives.ReverseEndianness(word);
            }

            crc = BitOperations.Crc32C(crc, word);
            i += 4;
        }

        while (i < length)
        {
            crc = BitOperations.Crc32C(crc, Unsafe.Add(ref start, i));
            i++;
        }

        return crc;
    }
}
