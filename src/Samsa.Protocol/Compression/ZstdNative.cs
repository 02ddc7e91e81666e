using System.Runtime.InteropServices;

namespace Samsa.Protocol.Compression;

/// <summary>The parts of libzstd's stable API that the zstd codec uses (zstd.h, v1.4+).</summary>
internal static unsafe partial class ZstdNative
{
    /// <summary>ZSTD_d_windowLogMax: the largest window a frame may ask the decoder to allocate.</summary>
    public const int DParameterWindowLogMax = 100;

    /// <summary>ZSTD_c_compressionLevel.</summary>
    public const int CParameterCompressionLevel = 100;

    /// <summary>ZSTD_reset_session_only: forget the current frame, keep the parameters.</summary>
    public const int ResetSessionOnly = 1;

    /// <summary>ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR.</summary>
    public const ulong ContentSizeUnknown = unchecked((ulong)-1);
    public const ulong ContentSizeError = unchecked((ulong)-2);

    [StructLayout(LayoutKind.Sequential)]
    public struct InBuffer
    {
        public void* Src;
        public nuint Size;
        public nuint Pos;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct OutBuffer
    {
        public void* Dst;
        public nuint Size;
        public nuint Pos;
    }

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_compressBound")]
    public static partial nuint CompressBound(nuint srcSize);

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_isError")]
    public static partial uint IsError(nuint code);

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_getErrorName")]
    public static partial byte* GetErrorName(nuint code);

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_createCCtx")]
    public static partial nint CreateCCtx();

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_freeCCtx")]
    public static partial nuint FreeCCtx(nint cctx);

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_compressCCtx")]
    public static partial nuint CompressCCtx(nint cctx, byte* dst, nuint dstCapacity, byte* src, nuint srcSize, int compressionLevel);

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_createDCtx")]
    public static partial nint CreateDCtx();

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_freeDCtx")]
    public static partial nuint FreeDCtx(nint dctx);

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_DCtx_setParameter")]
    public static partial nuint DCtxSetParameter(nint dctx, int parameter, int value);

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_DCtx_reset")]
    public static partial nuint DCtxReset(nint dctx, int reset);

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_decompressStream")]
    public static partial nuint DecompressStream(nint dctx, OutBuffer* output, InBuffer* input);

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_decompressDCtx")]
    public static partial nuint DecompressDCtx(nint dctx, byte* dst, nuint dstCapacity, byte* src, nuint srcSize);

    [LibraryImport(NativeCodecLibrary.ZstdLibrary, EntryPoint = "ZSTD_getFrameContentSize")]
    public static partial ulong GetFrameContentSize(byte* src, nuint srcSize);

    public static string ErrorName(nuint code) => Marshal.PtrToStringAnsi((nint)GetErrorName(code)) ?? "unknown error";
}
