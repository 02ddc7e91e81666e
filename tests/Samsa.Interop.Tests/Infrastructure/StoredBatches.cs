using Samsa.Protocol.Records;

namespace Samsa.Interop.Tests.Infrastructure;

/// <summary>Reads the record batch headers of a topic straight from a broker process's segment files. Stateless.</summary>
public static class StoredBatches
{
    /// <summary>The codec of every batch of partitions 0..partitions-1, each batch's CRC checked.</summary>
    public static List<CompressionType> Codecs(BrokerProcess broker, string topic, int partitions)
    {
        var codecs = new List<CompressionType>();
        for (int p = 0; p < partitions; p++)
        {
            string directory = Path.Combine(broker.DataDirectory, $"{topic}-{p}");
            foreach (string segment in Directory.GetFiles(directory, "*.log").Order(StringComparer.Ordinal))
            {
                byte[] bytes = File.ReadAllBytes(segment);
                int position = 0;
                while (RecordBatchHeader.TryRead(bytes.AsSpan(position), out RecordBatchHeader header) && header.BatchLength > 0)
                {
                    Assert.True(RecordBatch.IsCrcValid(bytes.AsSpan(position, (int)header.TotalSize)), $"{segment}: bad CRC at byte {position}");
                    codecs.Add(header.Compression);
                    position += (int)header.TotalSize;
                }
            }
        }
        Assert.NotEmpty(codecs);
        return codecs;
    }

    /// <summary>The codec a client names "none", "gzip", "snappy", "lz4" or "zstd".</summary>
    public static CompressionType CodecOf(string codec) => codec switch
    {
        "none" => CompressionType.None,
        "gzip" => CompressionType.Gzip,
        "snappy" => CompressionType.Snappy,
        "lz4" => CompressionType.Lz4,
        "zstd" => CompressionType.Zstd,
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, null),
    };
}
