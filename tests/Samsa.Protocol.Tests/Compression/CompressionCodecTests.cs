using System.Buffers.Binary;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Compression;

public sealed class CompressionCodecTests
{
    [Theory]
    [MemberData(nameof(CodecTestData.CodecsSizesAndKinds), MemberType = typeof(CodecTestData))]
    public void Compress_then_decompress_returns_the_input(CompressionType codec, int size, bool compressible)
    {
        byte[] input = CodecTestData.Payload(size, compressible);
        byte[] compressed = CompressionCodec.Compress(codec, input);
        byte[] output = CompressionCodec.Decompress(codec, compressed, maxDecompressedBytes: size);
        Assert.Equal(input, output);
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Compressible_input_shrinks(CompressionType codec)
    {
        byte[] input = CodecTestData.Payload(64 * 1024, compressible: true);
        Assert.True(CompressionCodec.Compress(codec, input).Length < input.Length / 3);
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Reads_in_small_steps_return_every_byte(CompressionType codec)
    {
        byte[] input = CodecTestData.Payload(200_000, compressible: true);
        byte[] compressed = CompressionCodec.Compress(codec, input);
        using RecordsDecompressor decompressor = CompressionCodec.CreateDecompressor(codec, compressed, input.Length);
        var output = new List<byte>();
        var step = new byte[7];
        int read;
        while ((read = decompressor.Read(step)) > 0)
        {
            output.AddRange(step.AsSpan(0, read).ToArray());
        }

        Assert.Equal(input, output.ToArray());
        Assert.Equal(input.Length, decompressor.TotalBytesRead);
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Output_one_byte_over_the_bound_throws(CompressionType codec)
    {
        byte[] input = CodecTestData.Payload(100_000, compressible: true);
        byte[] compressed = CompressionCodec.Compress(codec, input);
        var e = Assert.Throws<DecompressionLimitExceededException>(() => CompressionCodec.Decompress(codec, compressed, input.Length - 1));
        Assert.Equal(input.Length - 1, e.Limit);
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Truncated_stream_is_corrupt(CompressionType codec)
    {
        byte[] input = CodecTestData.Payload(100_000, compressible: false);
        byte[] compressed = CompressionCodec.Compress(codec, input);
        byte[] truncated = compressed.AsSpan(0, compressed.Length / 2).ToArray();
        Exception? e = Xunit.Record.Exception(() => CompressionCodec.Decompress(codec, truncated, 1 << 20));
        if (codec == CompressionType.Gzip)
        {
            // The BCL's inflater reports a cut-off member as a clean end; record parsing then finds the records short.
            Assert.True(e is null or CorruptCompressedDataException);
        }
        else
        {
            Assert.IsType<CorruptCompressedDataException>(e);
        }
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Garbage_is_corrupt(CompressionType codec)
    {
        byte[] garbage = CodecTestData.Payload(5000, compressible: false, seed: 7);
        if (codec == CompressionType.Gzip)
        {
            garbage[0] = 0x1f;
            garbage[1] = 0x8b;
        }

        Assert.Throws<CorruptCompressedDataException>(() => CompressionCodec.Decompress(codec, garbage, 1 << 20));
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Concatenated_payloads_decode_in_order(CompressionType codec)
    {
        if (codec == CompressionType.Snappy)
        {
            return; // A raw snappy block is one block; xerial concatenation is covered by the xerial tests.
        }

        byte[] a = CodecTestData.Payload(1000, true);
        byte[] b = CodecTestData.Payload(3000, false);
        byte[] both = [.. CompressionCodec.Compress(codec, a), .. CompressionCodec.Compress(codec, b)];
        Assert.Equal([.. a, .. b], CompressionCodec.Decompress(codec, both, 4000));
    }

    [Fact]
    public void Snappy_writes_xerial_framing_with_32_KiB_chunks()
    {
        byte[] input = CodecTestData.Payload(70_000, compressible: true);
        byte[] compressed = CompressionCodec.Compress(CompressionType.Snappy, input);
        Assert.Equal(new byte[] { 0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1 }, compressed[..16]);
        int position = 16;
        int chunks = 0;
        while (position < compressed.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(compressed.AsSpan(position));
            position += 4 + length;
            chunks++;
        }

        Assert.Equal(compressed.Length, position);
        Assert.Equal(3, chunks);
    }

    [Fact]
    public void Snappy_reads_a_raw_block()
    {
        byte[] input = CodecTestData.Payload(100_000, compressible: true);
        var raw = new System.Buffers.ArrayBufferWriter<byte>();
        SnappyCodec.CompressRaw(input, raw);
        Assert.False(SnappyCodec.IsXerial(raw.WrittenSpan));
        Assert.Equal(input, CompressionCodec.Decompress(CompressionType.Snappy, raw.WrittenMemory.ToArray(), input.Length));
    }

    [Fact]
    public void Snappy_length_header_claiming_gigabytes_is_rejected_before_allocating()
    {
        // Varint 0xFFFFFFFF (4 GiB - 1) then a single literal byte: a lying header.
        byte[] lie = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x41];
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<CorruptCompressedDataException>(() => CompressionCodec.Decompress(CompressionType.Snappy, lie, long.MaxValue));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Fact]
    public void Snappy_block_within_ratio_but_over_the_bound_is_a_limit_error()
    {
        byte[] zeros = new byte[1 << 20];
        byte[] compressed = CompressionCodec.Compress(CompressionType.Snappy, zeros);
        Assert.Throws<DecompressionLimitExceededException>(() => CompressionCodec.Decompress(CompressionType.Snappy, compressed, 1000));
    }

    [Fact]
    public void Xerial_chunk_length_past_the_end_is_corrupt()
    {
        byte[] compressed = CompressionCodec.Compress(CompressionType.Snappy, CodecTestData.Payload(1000, true));
        BinaryPrimitives.WriteInt32BigEndian(compressed.AsSpan(16), int.MaxValue);
        Assert.Throws<CorruptCompressedDataException>(() => CompressionCodec.Decompress(CompressionType.Snappy, compressed, 1 << 20));
    }

    [Fact]
    public void Lz4_writes_the_frame_format_with_64_KiB_independent_blocks()
    {
        byte[] compressed = CompressionCodec.Compress(CompressionType.Lz4, CodecTestData.Payload(1000, true));
        Assert.Equal(0x184D2204u, BinaryPrimitives.ReadUInt32LittleEndian(compressed));
        byte flags = compressed[4];
        Assert.Equal(0x40, flags & 0xC0); // version 01
        Assert.Equal(0x20, flags & 0x20); // block independence
        Assert.Equal(0, flags & 0x1C); // no block checksum, no content size, no content checksum
        Assert.Equal(0x40, compressed[5]); // block maximum size 64 KiB
    }

    [Fact]
    public void Zstd_writes_a_standard_frame()
    {
        byte[] compressed = CompressionCodec.Compress(CompressionType.Zstd, CodecTestData.Payload(1000, true));
        Assert.Equal(0xFD2FB528u, BinaryPrimitives.ReadUInt32LittleEndian(compressed));
    }

    [Fact]
    public void Gzip_writes_a_gzip_member()
    {
        byte[] compressed = CompressionCodec.Compress(CompressionType.Gzip, CodecTestData.Payload(1000, true));
        Assert.Equal(0x1f, compressed[0]);
        Assert.Equal(0x8b, compressed[1]);
        Assert.Equal(8, compressed[2]); // deflate
    }

    [Fact]
    public void Missing_library_error_names_the_debian_package()
    {
        var library = new NativeCodecLibrary("snappy", "libsnappy-does-not-exist.so.9", "libsnappy1v5");
        Assert.False(library.IsAvailable);
        var e = Assert.Throws<CompressionLibraryMissingException>(library.EnsureAvailable);
        Assert.Contains("libsnappy-does-not-exist.so.9", e.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y libsnappy1v5", e.Message, StringComparison.Ordinal);
        Assert.Equal("libsnappy1v5", e.PackageName);
    }

    [Theory]
    [MemberData(nameof(CodecTestData.AllCodecs), MemberType = typeof(CodecTestData))]
    public void Native_libraries_are_present_on_this_machine(CompressionType codec)
    {
        Assert.True(CompressionCodec.IsAvailable(codec));
    }
}
