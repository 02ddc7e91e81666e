using Samsa.Protocol.Records;

namespace Samsa.Benchmarks;

/// <summary>Record batches for the benchmarks, built with <see cref="RecordBatchBuilder"/> as a producer builds them.</summary>
internal static class BenchmarkBatches
{
    public const int SixteenKiB = 16 * 1024;
    public const int OneMiB = 1024 * 1024;

    /// <summary>
    /// An uncompressed batch v2 of records with no key and a <paramref name="valueSize"/>-byte value, with as many
    /// records as keep the whole batch within <paramref name="maxBytes"/>.
    /// </summary>
    public static byte[] Build(int maxBytes, int valueSize = 100)
    {
        byte[] value = new byte[valueSize];
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = (byte)('a' + (i % 26));
        }

        // A record of this shape takes at most the value plus 16 bytes (length, attributes, deltas, key, header count).
        int recordBound = valueSize + 16;
        long timestamp = 1_700_000_000_000;
        using var builder = new RecordBatchBuilder(maxBytes);
        while (builder.SizeInBytes + recordBound <= maxBytes)
        {
            builder.Append(timestamp + builder.Count, ReadOnlySpan<byte>.Empty, isKeyNull: true, value, isValueNull: false);
        }

        return builder.ToArray();
    }
}
