using System.Runtime.InteropServices;

namespace Samsa.Benchmarks;

/// <summary>
/// Direct calls into the codec libraries, the baseline Samsa's codecs are compared with: what the library itself does
/// when called from C# with no framing, pooling or bounds around it.
/// </summary>
internal static unsafe partial class CodecNative
{
    [LibraryImport("libz.so.1", EntryPoint = "compress2")]
    public static partial int ZlibCompress2(byte* dest, nuint* destLength, byte* source, nuint sourceLength, int level);

    [LibraryImport("libz.so.1", EntryPoint = "uncompress")]
    public static partial int ZlibUncompress(byte* dest, nuint* destLength, byte* source, nuint sourceLength);

    [LibraryImport("libz.so.1", EntryPoint = "compressBound")]
    public static partial nuint ZlibCompressBound(nuint sourceLength);

    [LibraryImport("libsnappy.so.1", EntryPoint = "snappy_compress")]
    public static partial int SnappyCompress(byte* input, nuint inputLength, byte* compressed, nuint* compressedLength);

    [LibraryImport("libsnappy.so.1", EntryPoint = "snappy_uncompress")]
    public static partial int SnappyUncompress(byte* compressed, nuint compressedLength, byte* uncompressed, nuint* uncompressedLength);

    [LibraryImport("libsnappy.so.1", EntryPoint = "snappy_max_compressed_length")]
    public static partial nuint SnappyMaxCompressedLength(nuint sourceLength);

    [LibraryImport("liblz4.so.1", EntryPoint = "LZ4F_compressFrameBound")]
    public static partial nuint Lz4FCompressFrameBound(nuint sourceSize, Lz4Preferences* preferences);

    [LibraryImport("liblz4.so.1", EntryPoint = "LZ4F_compressFrame")]
    public static partial nuint Lz4FCompressFrame(byte* dst, nuint dstCapacity, byte* src, nuint srcSize, Lz4Preferences* preferences);

    [LibraryImport("liblz4.so.1", EntryPoint = "LZ4F_createDecompressionContext")]
    public static partial nuint Lz4FCreateDecompressionContext(nint* context, uint version);

    [LibraryImport("liblz4.so.1", EntryPoint = "LZ4F_decompress")]
    public static partial nuint Lz4FDecompress(nint context, byte* dst, nuint* dstSize, byte* src, nuint* srcSize, void* options);

    [LibraryImport("libzstd.so.1", EntryPoint = "ZSTD_createCCtx")]
    public static partial nint ZstdCreateCCtx();

    [LibraryImport("libzstd.so.1", EntryPoint = "ZSTD_createDCtx")]
    public static partial nint ZstdCreateDCtx();

    [LibraryImport("libzstd.so.1", EntryPoint = "ZSTD_compressBound")]
    public static partial nuint ZstdCompressBound(nuint sourceSize);

    [LibraryImport("libzstd.so.1", EntryPoint = "ZSTD_compressCCtx")]
    public static partial nuint ZstdCompressCCtx(nint context, byte* dst, nuint dstCapacity, byte* src, nuint srcSize, int level);

    [LibraryImport("libzstd.so.1", EntryPoint = "ZSTD_decompressDCtx")]
    public static partial nuint ZstdDecompressDCtx(nint context, byte* dst, nuint dstCapacity, byte* src, nuint srcSize);

    /// <summary>LZ4F_preferences_t with Kafka's framing: 64 KiB independent blocks, fast level.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Lz4Preferences
    {
        public int BlockSizeId;
        public int BlockMode;
        public int ContentChecksumFlag;
        public int FrameType;
        public ulong ContentSize;
        public uint DictId;
        public int BlockChecksumFlag;
        public int CompressionLevel;
        public uint AutoFlush;
        public uint FavorDecSpeed;
        public uint Reserved0;
        public uint Reserved1;
        public uint Reserved2;

        public static Lz4Preferences Kafka() => new() { BlockSizeId = 4, BlockMode = 1 };
    }
}
