using System.IO.Compression;
using System.Runtime.InteropServices;

namespace Samsa.Protocol.Compression;

/// <summary>Streams a gzip payload (one or more members) through the BCL's inflater; memory stays at zlib's 32 KiB window.</summary>
internal sealed class GzipDecompressor : RecordsDecompressor
{
    private readonly GZipStream _stream;

    public GzipDecompressor(ReadOnlyMemory<byte> source, long maxDecompressedBytes)
        : base(maxDecompressedBytes)
    {
        MemoryStream input = MemoryMarshal.TryGetArray(source, out ArraySegment<byte> segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(source.ToArray(), writable: false);
        _stream = new GZipStream(input, CompressionMode.Decompress, leaveOpen: false);
    }

    protected override int ReadCore(Span<byte> destination)
    {
        try
        {
            return _stream.Read(destination);
        }
        catch (InvalidDataException e)
        {
            throw new CorruptCompressedDataException("The gzip stream is corrupt: " + e.Message, e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stream.Dispose();
        }
    }
}
