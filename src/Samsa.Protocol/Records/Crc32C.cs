using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Samsa.Protocol.Records;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of record batch v2, computed with
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> (SSE4.2 / ARMv8 CRC instructions where available)
/// eight bytes at a time. Inputs of at least three blocks run three independent CRCs over consecutive blocks at once
/// (the instruction's latency is three times its issue rate, so one chain leaves the unit idle) and join them: the CRC
/// state is linear, so the state after block 1 then block 2 is shift(state after block 1) xor CRC of block 2 from 0,
/// where shift advances a state over <see cref="BlockSize"/> zero bytes, looked up bytewise in precomputed tables.
/// Thread-safe (stateless; the tables are built once).
/// </summary>
public static class Crc32C
{
    /// <summary>Bytes per block of the three-way loop.</summary>
    private const int BlockSize = 1024;

    /// <summary>Table k maps byte b to the state (b &lt;&lt; 8k) advanced over <see cref="BlockSize"/> zero bytes.</summary>
    private static readonly uint[] ShiftTables = BuildShiftTables();

    /// <summary>The CRC-32C of <paramref name="data"/> (initial value and final xor 0xFFFFFFFF).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(uint.MaxValue, data);

    /// <summary>Continues a raw (not inverted) CRC state over more bytes.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 3 * BlockSize)
        {
            crc = UpdateThreeBlocks(crc, data);
            data = data[(3 * BlockSize)..];
        }

        return UpdateSerial(crc, data);
    }

    /// <summary>The state after the first 3 x <see cref="BlockSize"/> bytes of <paramref name="data"/>, in three chains.</summary>
    private static uint UpdateThreeBlocks(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte first = ref MemoryMarshal.GetReference(data);
        ref byte second = ref Unsafe.Add(ref first, BlockSize);
        ref byte third = ref Unsafe.Add(ref first, 2 * BlockSize);
        uint a = crc;
        uint b = 0;
        uint c = 0;
        for (nuint i = 0; i < BlockSize; i += 8)
        {
            a = BitOperations.Crc32C(a, ReadWord(ref first, i));
            b = BitOperations.Crc32C(b, ReadWord(ref second, i));
            c = BitOperations.Crc32C(c, ReadWord(ref third, i));
        }

        return Shift(Shift(a) ^ b) ^ c;
    }

    private static ulong ReadWord(ref byte start, nuint offset)
    {
        ulong word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset));
        return BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);
    }

    /// <summary>Advances a raw state over <see cref="BlockSize"/> zero bytes.</summary>
    private static uint Shift(uint state)
    {
        uint[] tables = ShiftTables;
        return tables[state & 0xFF]
            ^ tables[256 + ((state >> 8) & 0xFF)]
            ^ tables[512 + ((state >> 16) & 0xFF)]
            ^ tables[768 + (state >> 24)];
    }

    private static uint[] BuildShiftTables()
    {
        Span<byte> zeros = stackalloc byte[BlockSize];
        zeros.Clear();
        var tables = new uint[4 * 256];
        for (int k = 0; k < 4; k++)
        {
            for (uint b = 0; b < 256; b++)
            {
                tables[(k * 256) + (int)b] = UpdateSerial(b << (8 * k), zeros);
            }
        }

        return tables;
    }

    private static uint UpdateSerial(uint crc, ReadOnlySpan<byte> data)
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
