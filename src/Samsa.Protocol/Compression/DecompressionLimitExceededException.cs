namespace Samsa.Protocol.Compression;

/// <summary>
/// Decompressing would produce more bytes than the caller allowed (a compression bomb, or a batch far larger than the
/// broker accepts). Thrown before the excess is materialized.
/// </summary>
public sealed class DecompressionLimitExceededException : Exception
{
    public DecompressionLimitExceededException()
    {
    }

    public DecompressionLimitExceededException(string message)
        : base(message)
    {
    }

    public DecompressionLimitExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The bound that was exceeded, in decompressed bytes.</summary>
    public long Limit { get; init; }
}
