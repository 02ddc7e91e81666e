using System.Buffers;
using System.Collections.Concurrent;

namespace Samsa.Protocol.Compression;

/// <summary>
/// zstd through libzstd: standard frames, level 3 (Kafka's default). Compression and decompression contexts are
/// pooled because creating one costs more than compressing a small batch. Thread-safe.
/// </summary>
internal static unsafe class ZstdCodec
{
    /// <summary>Kafka's default zstd level.</summary>
    public const int DefaultLevel = 3;

    /// <summary>
    /// The largest window (2^27 = 128 MiB, zstd's own default limit) a frame may declare. Producers use far less
    /// (level 3 uses 2 MiB at most); the decoder only touches as much of it as it writes.
    /// </summary>
    public const int MaxWindowLog = 27;

    private static readonly int PoolLimit = Environment.ProcessorCount * 2;
    private static readonly ConcurrentQueue<nint> CompressionContexts = new();
    private static readonly ConcurrentQueue<nint> DecompressionContexts = new();

    public static void Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination, int level = DefaultLevel)
    {
        NativeCodecLibrary.Zstd.EnsureAvailable();
        int bound = checked((int)ZstdNative.CompressBound((nuint)source.Length));
        Span<byte> target = destination.GetSpan(bound);
        nint context = CompressionContexts.TryDequeue(out nint pooled) ? pooled : ZstdNative.CreateCCtx();
        if (context == 0)
        {
            throw new OutOfMemoryException("ZSTD_createCCtx failed.");
        }

        nuint written;
        try
        {
            fixed (byte* src = source)
            fixed (byte* dst = target)
            {
                written = ZstdNative.CompressCCtx(context, dst, (nuint)target.Length, src, (nuint)source.Length, level);
            }
        }
        finally
        {
            Return(CompressionContexts, context, ZstdNative.FreeCCtx);
        }

        if (ZstdNative.IsError(written) != 0)
        {
            throw new InvalidOperationException("ZSTD_compressCCtx failed: " + ZstdNative.ErrorName(written));
        }

        destination.Advance((int)written);
    }

    public static nint RentDecompressionContext()
    {
        NativeCodecLibrary.Zstd.EnsureAvailable();
        if (DecompressionContexts.TryDequeue(out nint context))
        {
            return context;
        }

        context = ZstdNative.CreateDCtx();
        if (context == 0)
        {
            throw new OutOfMemoryException("ZSTD_createDCtx failed.");
        }

        nuint result = ZstdNative.DCtxSetParameter(context, ZstdNative.DParameterWindowLogMax, MaxWindowLog);
        if (ZstdNative.IsError(result) != 0)
        {
            ZstdNative.FreeDCtx(context);
            throw new InvalidOperationException("ZSTD_DCtx_setParameter failed: " + ZstdNative.ErrorName(result));
        }

        return context;
    }

    /// <summary>Resets the context (dropping any half-read frame, keeping the window limit) and pools it.</summary>
    public static void ReturnDecompressionContext(nint context)
    {
        ZstdNative.DCtxReset(context, ZstdNative.ResetSessionOnly);
        Return(DecompressionContexts, context, ZstdNative.FreeDCtx);
    }

    private static void Return(ConcurrentQueue<nint> pool, nint context, Func<nint, nuint> free)
    {
        if (pool.Count < PoolLimit)
        {
            pool.Enqueue(context);
        }
        else
        {
            free(context);
        }
    }
}
