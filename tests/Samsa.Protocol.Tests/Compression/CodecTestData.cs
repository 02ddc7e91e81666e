using System.Text;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Compression;

/// <summary>Inputs for codec tests: sizes around block boundaries, compressible text and incompressible noise.</summary>
internal static class CodecTestData
{
    public static readonly CompressionType[] Codecs =
        [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    public static TheoryData<CompressionType> AllCodecs()
    {
        var data = new TheoryData<CompressionType>();
        foreach (CompressionType codec in Codecs)
        {
            data.Add(codec);
        }

        return data;
    }

    public static TheoryData<CompressionType, int, bool> CodecsSizesAndKinds()
    {
        var data = new TheoryData<CompressionType, int, bool>();
        foreach (CompressionType codec in Codecs)
        {
            foreach (int size in new[] { 0, 1, 100, 32 * 1024, 32 * 1024 + 1, 65536 * 3 + 17, 1 << 20 })
            {
                data.Add(codec, size, true);
                data.Add(codec, size, false);
            }
        }

        return data;
    }

    /// <summary>Log-like text (compresses well) or seeded random bytes (does not).</summary>
    public static byte[] Payload(int size, bool compressible, int seed = 42)
    {
        var bytes = new byte[size];
        if (compressible)
        {
            var text = new StringBuilder();
            int i = 0;
            while (text.Length < size)
            {
                text.Append("2026-11-22T01:47:").Append(i % 60).Append(" INFO order=").Append(i * 7919 % 10007)
                    .Append(" status=shipped region=eu-west\n");
                i++;
            }

            Encoding.ASCII.GetBytes(text.ToString(0, size), bytes);
        }
        else
        {
            new Random(seed).NextBytes(bytes);
        }

        return bytes;
    }

    /// <summary>An uncompressed batch of <paramref name="count"/> records with keys, values, headers and rising timestamps.</summary>
    public static byte[] Batch(int count, int valueSize = 100, long baseTimestamp = 1_700_000_000_000, bool withKeys = true)
    {
        using var builder = new RecordBatchBuilder();
        byte[] value = Payload(valueSize, compressible: true);
        for (int i = 0; i < count; i++)
        {
            builder.Append(
                baseTimestamp + i,
                withKeys ? Encoding.ASCII.GetBytes("key-" + i) : null,
                value,
                [new RecordHeader("trace", [(byte)i])]);
        }

        return builder.ToArray();
    }
}
