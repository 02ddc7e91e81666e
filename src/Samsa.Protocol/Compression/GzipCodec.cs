using System.Buffers;
using System.IO.Compression;

namespace Samsa.Protocol.Compression;

/// <summary>gzip through the BCL's zlib: an ordinary gzip member at level 6, the level Kafka and librdkafka use. Thread-safe.</summary>
internal static class GzipCodec
{
    public const int DefaultLevel = 6;

    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int level = DefaultLevel)
    {
        using var output = new BufferWriterStream(destination);
        using var gzip = new GZipStream(output, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true);
        gzip.Write(source);
    }
}
