using System.Buffers;
using System.Buffers.Binary;

namespace Samsa.Protocol.Compression;

/// <summary>
/// Decodes snappy payloads in either framing (see <see cref="SnappyCodec"/>): a raw block (librdkafka) or xerial
/// chunks (the Java client, kafka-python). Snappy cannot decode a block piecemeal, so each block is decoded whole into a
/// pooled buffer; the block's declared length is checked first against the remaining bound and against the largest
/// expansion snappy's format allows (<see cref="SnappyCodec.MaxExpansion"/>), so a lying header costs nothing.
/// </summary>
internal sealed unsafe class SnappyDecompressor : RecordsDecompressor
{
    private readonly ReadOnlyMemory<byte> _source;
    private readonly bool _xerial;
    private int _position;
    private long _decoded;
    private byte[] _block = [];
    private int _blockLength;
    private int _blockPosition;

    public SnappyDecompressor(ReadOnlyMemory<byte> source, long maxDecompressedBytes)
        : base(maxDecompressedBytes)
    {
        NativeCodecLibrary.Snappy.EnsureAvailable();
        _source = source;
        _xerial = SnappyCodec.IsXerial(source.Span);
        _position = _xerial ? SnappyCodec.XerialHeaderSize : 0;
    }

    protected override int ReadCore(Span<byte> destination)
    {
        while (_blockPosition == _blockLength)
        {
            if (!DecodeNextBlock())
            {
                return 0;
            }
        }

        int count = Math.Min(destination.Length, _blockLength - _blockPosition);
        _block.AsSpan(_blockPosition, count).CopyTo(destination);
        _blockPosition += count;
        return count;
    }

    protected override void Dispose(bool disposing)
    {
        byte[] block = _block;
        _block = [];
        if (block.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    private bool DecodeNextBlock()
    {
        ReadOnlySpan<byte> source = _source.Span;
        ReadOnlySpan<byte> compressed;
        if (_xerial)
        {
            if (_position == source.Length)
            {
                return false;
            }

            if (source.Length - _position < 4)
            {
                throw new CorruptCompressedDataException("A xerial snappy chunk length is truncated.");
            }

            int chunkLength = BinaryPrimitives.ReadInt32BigEndian(source[_position..]);
            _position += 4;
            if (chunkLength <= 0 || chunkLength > source.Length - _position)
            {
                throw new CorruptCompressedDataException($"A xerial snappy chunk declares {chunkLength} bytes but {source.Length - _position} remain.");
            }

            compressed = source.Slice(_position, chunkLength);
            _position += chunkLength;
        }
        else
        {
            if (_position == source.Length)
            {
                return false;
            }

            compressed = source[_position..];
            _position = source.Length;
        }

        Decode(compressed);
        return true;
    }

    private void Decode(ReadOnlySpan<byte> compressed)
    {
        fixed (byte* src = compressed)
        {
            nuint declared;
            if (SnappyNative.UncompressedLength(src, (nuint)compressed.Length, &declared) != SnappyNative.Ok
                || declared > (ulong)compressed.Length * SnappyCodec.MaxExpansion
                || declared > (nuint)Array.MaxLength)
            {
                throw new CorruptCompressedDataException("A snappy block has an invalid length header.");
            }

            if ((long)declared > MaxDecompressedBytes - _decoded)
            {
                ThrowLimitExceeded();
            }

            int length = (int)declared;
            if (_block.Length < length)
            {
                if (_block.Length > 0)
                {
                    ArrayPool<byte>.Shared.Return(_block);
                }

                _block = [];
                _block = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            }

            nuint produced = declared;
            fixed (byte* dst = _block)
            {
                if (SnappyNative.Uncompress(src, (nuint)compressed.Length, dst, &produced) != SnappyNative.Ok || produced != declared)
                {
                    throw new CorruptCompressedDataException("A snappy block is corrupt.");
                }
            }

            _decoded += length;
            _blockLength = length;
            _blockPosition = 0;
        }
    }
}
