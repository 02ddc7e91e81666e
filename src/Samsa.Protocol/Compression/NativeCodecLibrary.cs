using System.Runtime.InteropServices;

namespace Samsa.Protocol.Compression;

/// <summary>
/// Loads a codec's shared object by its versioned name (the name the Debian runtime package installs, so no
/// <c>-dev</c> package is needed) and turns a missing library into a <see cref="CompressionLibraryMissingException"/>
/// naming the package to install. The [LibraryImport] declarations use the same names, so once this check passes the
/// runtime binds them to the library already loaded. Thread-safe; the probe runs once per library.
/// </summary>
internal sealed class NativeCodecLibrary
{
    public const string SnappyLibrary = "libsnappy.so.1";
    public const string Lz4Library = "liblz4.so.1";
    public const string ZstdLibrary = "libzstd.so.1";

    public static readonly NativeCodecLibrary Snappy = new("snappy", SnappyLibrary, "libsnappy1v5");
    public static readonly NativeCodecLibrary Lz4 = new("lz4", Lz4Library, "liblz4-1");
    public static readonly NativeCodecLibrary Zstd = new("zstd", ZstdLibrary, "libzstd1");

    private readonly Lazy<bool> _loaded;

    internal NativeCodecLibrary(string codec, string libraryName, string packageName)
    {
        Codec = codec;
        LibraryName = libraryName;
        PackageName = packageName;
        _loaded = new Lazy<bool>(() => NativeLibrary.TryLoad(libraryName, typeof(NativeCodecLibrary).Assembly, null, out _));
    }

    public string Codec { get; }

    public string LibraryName { get; }

    public string PackageName { get; }

    public bool IsAvailable => _loaded.Value;

    /// <summary>Throws <see cref="CompressionLibraryMissingException"/> unless the library loads.</summary>
    public void EnsureAvailable()
    {
        if (!_loaded.Value)
        {
            ThrowMissing();
        }
    }

    private void ThrowMissing() =>
        throw new CompressionLibraryMissingException(
            $"The {Codec} codec needs {LibraryName}, which could not be loaded. Install the Debian package {PackageName} (apt-get install -y {PackageName}).")
        {
            LibraryName = LibraryName,
            PackageName = PackageName,
        };
}
