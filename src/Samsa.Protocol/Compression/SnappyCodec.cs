using System.Buffers;
using System.Buffers.Binary;

namespace Samsa.Protocol.Compression;

/// <summary>
/// Snappy through libsnappy. Kafka knows two framings and readers must accept both:
/// <list type="bullet">
/// <item>raw: one snappy block (a varint uncompressed length, then the compressed elements), as librdkafka writes;</item>
/// <item>xerial: the 8-byte magic <c>0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00</c>, int32 version, int32 compatible version
/// (both big-endian), then chunks of [int32 big-endian compressed length][raw snappy block], as the Java client and
/// kafka-python write.</item>
/// </list>
/// Samsa writes xerial with version 1, compatible version 1 and 32 KiB blocks, which every client reads. Thread-safe.
/// </summary>
internal static unsafe class SnappyCodec
{
    /// <summary>Magic, version and compatible version.</summary>
    public const int XerialHeaderSize = 16;

    /// <summary>Uncompressed bytes per xerial chunk.</summary>
    public const int XerialBlockSize = 32 * 1024;

    /// <summary>
    /// No snappy block decodes to more than 22 times its own size: the densest element is a 3-byte copy of 64 bytes.
    /// A length header that claims more is a lie.
    /// </summary>
    public const int MaxExpansion = 22;

    private static ReadOnlySpan<byte> XerialMagic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    /// <summary>True when <paramref name="payload"/> starts with the xerial header.</summary>
    public static bool IsXerial(ReadOnlySpan<byte> payload) =>
        payload.Length >= XerialHeaderSize && payload.StartsWith(XerialMagic);

    /// <summary>Writes <paramref name="source"/> in the xerial framing.</summary>
    public static void CompressXerial(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        NativeCodecLibrary.Snappy.EnsureAvailable();
        Span<byte> header = destination.GetSpan(XerialHeaderSize);
        XerialMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], 1);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], 1);
        destination.Advance(XerialHeaderSize);

        while (!source.IsEmpty)
        {
            ReadOnlySpan<byte> block = source[..Math.Min(source.Length, XerialBlockSize)];
            source = source[block.Length..];
            int bound = (int)SnappyNative.MaxCompressedLength((nuint)block.Length);
            Span<byte> chunk = destination.GetSpan(4 + bound);
            nuint written = (nuint)bound;
            fixed (byte* src = block)
            fixed (byte* dst = chunk)
            {
                if (SnappyNative.Compress(src, (nuint)block.Length, dst + 4, &written) != SnappyNative.Ok)
                {
                    throw new InvalidOperationException("snappy_compress failed.");
                }
            }

            BinaryPrimitives.WriteInt32BigEndian(chunk, (int)written);
            destination.Advance(4 + (int)written);
        }
    }

    /// <summary>Writes <paramref name="source"/> as one raw snappy block (librdkafka's framing).</summary>
    public static void CompressRaw(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        NativeCodecLibrary.Snappy.EnsureAvailable();
        int bound = (int)SnappyNative.MaxCompressedLength((nuint)source.Length);
        Span<byte> target = destination.GetSpan(bound);
        nuint written = (nuint)bound;
        fixed (byte* src = source)
        fixed (byte* dst = target)
        {
            if (SnappyNative.Compress(src, (nuint)source.Length, dst, &written) != SnappyNative.Ok)
            {
                throw new InvalidOperationException("snappy_compress failed.");
            }
        }

        destination.Advance((int)written);
    }
}
