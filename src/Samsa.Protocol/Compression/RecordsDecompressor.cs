namespace Samsa.Protocol.Compression;

/// <summary>
/// Pulls the decompressed bytes of one compressed record payload, a chunk at a time, and never yields more than
/// <see cref="MaxDecompressedBytes"/> in total: the read that would pass the bound throws
/// <see cref="DecompressionLimitExceededException"/> instead (at most one byte past the bound is ever decoded into the
/// caller's buffer, and codecs that decode whole blocks check a block's declared size before allocating for it).
/// Undecodable input throws <see cref="CorruptCompressedDataException"/>. Created by
/// <see cref="CompressionCodec.CreateDecompressor"/>; not thread-safe; dispose to return native contexts and buffers.
/// </summary>
public abstract class RecordsDecompressor : IDisposable
{
    private bool _disposed;

    protected RecordsDecompressor(long maxDecompressedBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDecompressedBytes);
        MaxDecompressedBytes = maxDecompressedBytes;
    }

    /// <summary>The most decompressed bytes this stream may produce.</summary>
    public long MaxDecompressedBytes { get; }

    /// <summary>Decompressed bytes returned so far.</summary>
    public long TotalBytesRead { get; private set; }

    /// <summary>
    /// Fills the start of <paramref name="destination"/> (which must not be empty) with the next decompressed bytes
    /// and returns how many; 0 means the compressed stream ended cleanly.
    /// </summary>
    public int Read(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (destination.IsEmpty)
        {
            throw new ArgumentException("The destination is empty.", nameof(destination));
        }

        long allowance = MaxDecompressedBytes - TotalBytesRead;
        if (allowance < destination.Length - 1L)
        {
            destination = destination[..(int)(allowance + 1)];
        }

        int read = ReadCore(destination);
        if (read > allowance)
        {
            ThrowLimitExceeded();
        }

        TotalBytesRead += read;
        return read;
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Dispose(true);
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>Decodes into <paramref name="destination"/> (never empty); returns 0 only at the clean end of the stream.</summary>
    protected abstract int ReadCore(Span<byte> destination);

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Throws the exception that reports a stream larger than <see cref="MaxDecompressedBytes"/>.</summary>
    protected void ThrowLimitExceeded() =>
        throw new DecompressionLimitExceededException(
            $"The compressed records expand to more than {MaxDecompressedBytes} bytes.")
        {
            Limit = MaxDecompressedBytes,
        };
}
