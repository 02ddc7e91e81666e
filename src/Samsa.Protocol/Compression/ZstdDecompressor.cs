namespace Samsa.Protocol.Compression;

/// <summary>
/// Streams one or more zstd frames through a pooled decompression context. The context refuses frames whose window
/// exceeds <see cref="ZstdCodec.MaxWindowLog"/>, so a frame header cannot make the decoder reserve more than that.
/// </summary>
internal sealed unsafe class ZstdDecompressor : RecordsDecompressor
{
    private readonly ReadOnlyMemory<byte> _source;
    private nint _context;
    private int _position;
    private bool _inFrame;

    public ZstdDecompressor(ReadOnlyMemory<byte> source, long maxDecompressedBytes)
        : base(maxDecompressedBytes)
    {
        _source = source;
        _context = ZstdCodec.RentDecompressionContext();
    }

    protected override int ReadCore(Span<byte> destination)
    {
        ReadOnlySpan<byte> source = _source.Span;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            var input = new ZstdNative.InBuffer { Src = src, Size = (nuint)source.Length, Pos = (nuint)_position };
            var output = new ZstdNative.OutBuffer { Dst = dst, Size = (nuint)destination.Length, Pos = 0 };
            while (true)
            {
                bool inputLeft = input.Pos < input.Size;
                if (!inputLeft && !_inFrame)
                {
                    return 0;
                }

                nuint hint = ZstdNative.DecompressStream(_context, &output, &input);
                if (ZstdNative.IsError(hint) != 0)
                {
                    throw new CorruptCompressedDataException("The zstd stream is corrupt: " + ZstdNative.ErrorName(hint));
                }

                _inFrame = hint != 0;
                _position = (int)input.Pos;
                if (output.Pos > 0)
                {
                    return (int)output.Pos;
                }

                if (!inputLeft)
                {
                    if (_inFrame)
                    {
                        // No input was left and the decoder had nothing buffered: the last frame is cut short.
                        throw new CorruptCompressedDataException("The zstd stream ends inside a frame.");
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
            ZstdCodec.ReturnDecompressionContext(context);
        }
    }
}
