using System.Runtime.InteropServices;

namespace Samsa.Protocol.Compression;

/// <summary>libsnappy's C binding (snappy-c.h). Status 0 is SNAPPY_OK.</summary>
internal static unsafe partial class SnappyNative
{
    public const int Ok = 0;

    [LibraryImport(NativeCodecLibrary.SnappyLibrary, EntryPoint = "snappy_compress")]
    public static partial int Compress(byte* input, nuint inputLength, byte* compressed, nuint* compressedLength);

    [LibraryImport(NativeCodecLibrary.SnappyLibrary, EntryPoint = "snappy_uncompress")]
    public static partial int Uncompress(byte* compressed, nuint compressedLength, byte* uncompressed, nuint* uncompressedLength);

    [LibraryImport(NativeCodecLibrary.SnappyLibrary, EntryPoint = "snappy_max_compressed_length")]
    public static partial nuint MaxCompressedLength(nuint sourceLength);

    [LibraryImport(NativeCodecLibrary.SnappyLibrary, EntryPoint = "snappy_uncompressed_length")]
    public static partial int UncompressedLength(byte* compressed, nuint compressedLength, nuint* result);
}
