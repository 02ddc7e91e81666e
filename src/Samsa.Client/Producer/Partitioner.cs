namespace Samsa.Client.Producer;

/// <summary>
/// The Java client's key partitioning, so that Samsa.Client, the Java client and librdkafka's "murmur2" partitioner
/// put a key in the same partition: murmur2 (seed 0x9747b28c) of the key bytes, made positive by clearing the sign
/// bit, modulo the partition count. Thread-safe (stateless).
/// </summary>
public static class Partitioner
{
    public static int PartitionFor(ReadOnlySpan<byte> key, int partitionCount) => (Murmur2(key) & 0x7fffffff) % partitionCount;

    /// <summary>MurmurHash2, 32-bit, as the Java client computes it (little-endian words).</summary>
    public static int Murmur2(ReadOnlySpan<byte> data)
    {
        const uint m = 0x5bd1e995;
        const int r = 24;
        int length = data.Length;
        uint h = 0x9747b28c ^ (uint)length;
        int words = length / 4;
        for (int i = 0; i < words; i++)
        {
            uint k = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k *= m;
            k ^= k >> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        int tail = length & ~3;
        switch (length % 4)
        {
            case 3:
                h ^= (uint)data[tail + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[tail + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[tail];
                h *= m;
                break;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return (int)h;
    }
}
