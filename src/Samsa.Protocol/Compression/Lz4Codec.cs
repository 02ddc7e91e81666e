using System.Buffers;
using System.Collections.Concurrent;

namespace Samsa.Protocol.Compression;

/// <summary>
/// LZ4 frame format (magic 0x184D2204) through liblz4's LZ4F API, never a bare block. Samsa writes what the Java
/// client and librdkafka write: 64 KiB independent blocks, no checksums, no content size, fast compression.
/// Decompression contexts are pooled. Thread-safe.
/// </summary>
internal static unsafe class Lz4Codec
{
    private static readonly int PoolLimit = Environment.ProcessorCount * 2;
    private static readonly ConcurrentQueue<nint> DecompressionContexts = new();

    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        NativeCodecLibrary.Lz4.EnsureAvailable();
        Lz4Native.Preferences preferences = Lz4Native.KafkaPreferences();
        int bound = checked((int)Lz4Native.CompressFrameBound((nuint)source.Length, &preferences));
        Span<byte> target = destination.GetSpan(bound);
        nuint written;
        fixed (byte* src = source)
        fixed (byte* dst = target)
        {
            written = Lz4Native.CompressFrame(dst, (nuint)target.Length, src, (nuint)source.Length, &preferences);
        }

        if (Lz4Native.IsError(written) != 0)
        {
            throw new InvalidOperationException("LZ4F_compressFrame failed: " + Lz4Native.ErrorName(written));
        }

        destination.Advance((int)written);
    }

    public static nint RentDecompressionContext()
    {
        NativeCodecLibrary.Lz4.EnsureAvailable();
        if (DecompressionContexts.TryDequeue(out nint context))
        {
            return context;
        }

        nuint result = Lz4Native.CreateDecompressionContext(&context, Lz4Native.Version);
        if (Lz4Native.IsError(result) != 0 || context == 0)
        {
            throw new OutOfMemoryException("LZ4F_createDecompressionContext failed.");
        }

        return context;
    }

    /// <summary>Resets the context (dropping any half-read frame) and pools it.</summary>
    public static void ReturnDecompressionContext(nint context)
    {
        Lz4Native.ResetDecompressionContext(context);
        if (DecompressionContexts.Count < PoolLimit)
        {
            DecompressionContexts.Enqueue(context);
        }
        else
        {
            Lz4Native.FreeDecompressionContext(context);
        }
    }
}
