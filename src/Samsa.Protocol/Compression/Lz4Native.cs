using System.Runtime.InteropServices;

namespace Samsa.Protocol.Compression;

/// <summary>The parts of liblz4's frame API (lz4frame.h, v1.8+) that the lz4 codec uses.</summary>
internal static unsafe partial class Lz4Native
{
    /// <summary>LZ4F_VERSION: the API version the context structures follow.</summary>
    public const uint Version = 100;

    /// <summary>LZ4F_blockSizeID_t LZ4F_max64KB: Kafka's and librdkafka's block size.</summary>
    public const int BlockSizeMax64KB = 4;

    /// <summary>LZ4F_blockMode_t LZ4F_blockIndependent.</summary>
    public const int BlockIndependent = 1;

    /// <summary>LZ4F_frameInfo_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct FrameInfo
    {
        public int BlockSizeId;
        public int BlockMode;
        public int ContentChecksumFlag;
        public int FrameType;
        public ulong ContentSize;
        public uint DictId;
        public int BlockChecksumFlag;
    }

    /// <summary>LZ4F_preferences_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Preferences
    {
        public FrameInfo FrameInfo;
        public int CompressionLevel;
        public uint AutoFlush;
        public uint FavorDecSpeed;
        public uint Reserved0;
        public uint Reserved1;
        public uint Reserved2;
    }

    [LibraryImport(NativeCodecLibrary.Lz4Library, EntryPoint = "LZ4F_isError")]
    public static partial uint IsError(nuint code);

    [LibraryImport(NativeCodecLibrary.Lz4Library, EntryPoint = "LZ4F_getErrorName")]
    public static partial byte* GetErrorName(nuint code);

    [LibraryImport(NativeCodecLibrary.Lz4Library, EntryPoint = "LZ4F_compressFrameBound")]
    public static partial nuint CompressFrameBound(nuint srcSize, Preferences* preferences);

    [LibraryImport(NativeCodecLibrary.Lz4Library, EntryPoint = "LZ4F_compressFrame")]
    public static partial nuint CompressFrame(byte* dst, nuint dstCapacity, byte* src, nuint srcSize, Preferences* preferences);

    [LibraryImport(NativeCodecLibrary.Lz4Library, EntryPoint = "LZ4F_createDecompressionContext")]
    public static partial nuint CreateDecompressionContext(nint* context, uint version);

    [LibraryImport(NativeCodecLibrary.Lz4Library, EntryPoint = "LZ4F_freeDecompressionContext")]
    public static partial nuint FreeDecompressionContext(nint context);

    [LibraryImport(NativeCodecLibrary.Lz4Library, EntryPoint = "LZ4F_resetDecompressionContext")]
    public static partial void ResetDecompressionContext(nint context);

    [LibraryImport(NativeCodecLibrary.Lz4Library, EntryPoint = "LZ4F_decompress")]
    public static partial nuint Decompress(nint context, byte* dst, nuint* dstSize, byte* src, nuint* srcSize, void* options);

    public static string ErrorName(nuint code) => Marshal.PtrToStringAnsi((nint)GetErrorName(code)) ?? "unknown error";

    /// <summary>Kafka's framing: 64 KiB independent blocks, no checksums, no content size, fast compression.</summary>
    public static Preferences KafkaPreferences() => new()
    {
        FrameInfo = new FrameInfo { BlockSizeId = BlockSizeMax64KB, BlockMode = BlockIndependent },
    };
}
