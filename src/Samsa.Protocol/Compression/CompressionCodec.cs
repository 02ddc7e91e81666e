using System.Buffers;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Compression;

/// <summary>
/// The record batch codecs (attributes bits 0-2): gzip from the BCL; snappy, lz4 and zstd from the system's native
/// libraries (<c>libsnappy.so.1</c>, <c>liblz4.so.1</c>, <c>libzstd.so.1</c>), loaded on first use. A missing library
/// throws <see cref="CompressionLibraryMissingException"/> naming the Debian package. Framings (what every Kafka
/// client reads and writes): gzip members; snappy read raw or xerial, written xerial; the LZ4 frame format; zstd
/// frames. Decompression is streaming and bounded (<see cref="RecordsDecompressor"/>). Thread-safe.
/// </summary>
public static class CompressionCodec
{
    /// <summary>True when the codec can be used here (its native library loads). None and gzip always can.</summary>
    public static bool IsAvailable(CompressionType codec) => codec switch
    {
        CompressionType.None or CompressionType.Gzip => true,
        CompressionType.Snappy => NativeCodecLibrary.Snappy.IsAvailable,
        CompressionType.Lz4 => NativeCodecLibrary.Lz4.IsAvailable,
        CompressionType.Zstd => NativeCodecLibrary.Zstd.IsAvailable,
        _ => false,
    };

    /// <summary>Throws <see cref="CompressionLibraryMissingException"/> when the codec's native library is missing.</summary>
    public static void EnsureAvailable(CompressionType codec)
    {
        switch (codec)
        {
            case CompressionType.Snappy:
                NativeCodecLibrary.Snappy.EnsureAvailable();
                break;
            case CompressionType.Lz4:
                NativeCodecLibrary.Lz4.EnsureAvailable();
                break;
            case CompressionType.Zstd:
                NativeCodecLibrary.Zstd.EnsureAvailable();
                break;
            case CompressionType.None:
            case CompressionType.Gzip:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(codec), codec, "Unknown compression type.");
        }
    }

    /// <summary>Compresses <paramref name="source"/> as one payload in the codec's Kafka framing.</summary>
    public static void Compress(CompressionType codec, ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        switch (codec)
        {
            case CompressionType.None:
                source.CopyTo(destination.GetSpan(source.Length));
                destination.Advance(source.Length);
                break;
            case CompressionType.Gzip:
                GzipCodec.Compress(source, destination);
                break;
            case CompressionType.Snappy:
                SnappyCodec.CompressXerial(source, destination);
                break;
            case CompressionType.Lz4:
                Lz4Codec.Compress(source, destination);
                break;
            case CompressionType.Zstd:
                ZstdCodec.Compress(source, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(codec), codec, "Unknown compression type.");
        }
    }

    /// <summary>The codec's output for <paramref name="source"/> as a new array.</summary>
    public static byte[] Compress(CompressionType codec, ReadOnlySpan<byte> source)
    {
        var writer = new ArrayBufferWriter<byte>(Math.Max(256, source.Length / 2));
        Compress(codec, source, writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Opens a streaming decompressor over <paramref name="source"/> that yields at most
    /// <paramref name="maxDecompressedBytes"/> bytes. <paramref name="source"/> must stay unchanged until it is disposed.
    /// </summary>
    public static RecordsDecompressor CreateDecompressor(CompressionType codec, ReadOnlyMemory<byte> source, long maxDecompressedBytes) => codec switch
    {
        CompressionType.None => new UncompressedReader(source, maxDecompressedBytes),
        CompressionType.Gzip => new GzipDecompressor(source, maxDecompressedBytes),
        CompressionType.Snappy => new SnappyDecompressor(source, maxDecompressedBytes),
        CompressionType.Lz4 => new Lz4Decompressor(source, maxDecompressedBytes),
        CompressionType.Zstd => new ZstdDecompressor(source, maxDecompressedBytes),
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "Unknown compression type."),
    };

    /// <summary>Decompresses all of <paramref name="source"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static long Decompress(CompressionType codec, ReadOnlyMemory<byte> source, IBufferWriter<byte> destination, long maxDecompressedBytes)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using RecordsDecompressor decompressor = CreateDecompressor(codec, source, maxDecompressedBytes);
        long total = 0;
        while (true)
        {
            Span<byte> target = destination.GetSpan(64 * 1024);
            int read = decompressor.Read(target);
            if (read == 0)
            {
                return total;
            }

            destination.Advance(read);
            total += read;
        }
    }

    /// <summary>Decompresses all of <paramref name="source"/> into a new array.</summary>
    public static byte[] Decompress(CompressionType codec, ReadOnlyMemory<byte> source, long maxDecompressedBytes)
    {
        var writer = new ArrayBufferWriter<byte>(Math.Max(256, source.Length * 4));
        Decompress(codec, source, writer, maxDecompressedBytes);
        return writer.WrittenSpan.ToArray();
    }

    private sealed class UncompressedReader(ReadOnlyMemory<byte> source, long maxDecompressedBytes) : RecordsDecompressor(maxDecompressedBytes)
    {
        private int _position;

        protected override int ReadCore(Span<byte> destination)
        {
            int count = Math.Min(destination.Length, source.Length - _position);
            source.Span.Slice(_position, count).CopyTo(destination);
            _position += count;
            return count;
        }
    }
}
