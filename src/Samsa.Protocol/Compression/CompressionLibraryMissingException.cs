namespace Samsa.Protocol.Compression;

/// <summary>
/// A codec's native library could not be loaded. The message names the shared object and the Debian package that
/// provides it (for example <c>libzstd.so.1</c> from <c>libzstd1</c>).
/// </summary>
public sealed class CompressionLibraryMissingException : Exception
{
    public CompressionLibraryMissingException()
    {
    }

    public CompressionLibraryMissingException(string message)
        : base(message)
    {
    }

    public CompressionLibraryMissingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The shared object that was looked for, such as <c>libsnappy.so.1</c>.</summary>
    public string? LibraryName { get; init; }

    /// <summary>The Debian package that installs it, such as <c>libsnappy1v5</c>.</summary>
    public string? PackageName { get; init; }
}
