namespace Samsa.Protocol.Compression;

/// <summary>
/// Streams one or more LZ4 frames through a pooled LZ4F decompression context. LZ4F buffers at most one block
/// (4 MiB for the largest block size a frame may declare), whatever the frame claims about its content size.
/// </summary>
internal sealed unsafe class Lz4Decompressor : RecordsDecompressor
{
    private readonly ReadOnlyMemory<byte> _source;
    private nint _context;
    private int _position;
    private bool _inFrame;

    public Lz4Decompressor(ReadOnlyMemory<byte> source, long maxDecompressedBytes)
        : base(maxDecompressedBytes)
    {
        _source = source;
        _context = Lz4Codec.RentDecompressionContext();
    }

    protected override int ReadCore(Span<byte> destination)
    {
        ReadOnlySpan<byte> source = _source.Span;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            while (true)
            {
                nuint available = (nuint)(source.Length - _position);
                if (available == 0 && !_inFrame)
                {
                    return 0;
                }

                nuint consumed = available;
                nuint written = (nuint)destination.Length;
                nuint hint = Lz4Native.Decompress(_context, dst, &written, src + _position, &consumed, null);
                if (Lz4Native.IsError(hint) != 0)
                {
                    throw new CorruptCompressedDataException("The lz4 frame is corrupt: " + Lz4Native.ErrorName(hint));
                }

                _position += (int)consumed;
                _inFrame = hint != 0;
                if (written > 0)
                {
                    return (int)written;
                }

                if (consumed == 0)
                {
                    if (_inFrame)
                    {
                        throw new CorruptCompressedDataException("The lz4 stream ends inside a frame.");
                    }

                    return 0;
                }
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        nint context = _context;
        _context = 0;
        if (context != 0)
        {
            Lz4Codec.ReturnDecompressionContext(context);
        }
    }
}
