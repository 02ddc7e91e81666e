using System.Text;
using BenchmarkDotNet.Attributes;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Benchmarks;

/// <summary>
/// Each codec through Samsa (<see cref="CompressionCodec"/>: Kafka framing, pooled contexts, bounded streaming reads)
/// against the same native library called directly on the same bytes: the records payload of a 16 KiB or 1 MiB batch of
/// 100 B or 1 KiB records whose values are log-like text (compresses about 3-5x). Throughput in MB/s is the payload size
/// divided by the mean time (uncompressed bytes for both directions). gzip's baseline is the system zlib's
/// compress2/uncompress (zlib framing); the BCL uses its bundled zlib-ng. Samsa's snappy writes xerial 32 KiB chunks
/// where the baseline compresses one raw block. <c>Samsa_StreamingRead</c> is what the broker's validator does: read the
/// payload through a 64 KiB window without keeping it.
/// </summary>
[MemoryDiagnoser]
public unsafe class CodecBenchmarks
{
    private byte[] _payload = [];
    private byte[] _samsaCompressed = [];
    private byte[] _nativeCompressed = [];
    private int _nativeCompressedLength;
    private byte[] _nativeOutput = [];
    private byte[] _window = new byte[64 * 1024];
    private PooledBufferWriter _writer = null!;
    private nint _zstdC;
    private nint _zstdD;
    private nint _lz4D;

    [Params(CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd)]
    public CompressionType Codec { get; set; }

    [Params(100, 1024)]
    public int RecordBytes { get; set; }

    [Params(BenchmarkBatches.SixteenKiB, BenchmarkBatches.OneMiB)]
    public int BatchBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = RecordsPayload(BatchBytes, RecordBytes);
        _samsaCompressed = CompressionCodec.Compress(Codec, _payload);
        _writer = new PooledBufferWriter(_payload.Length * 2 + 1024);
        _nativeOutput = new byte[_payload.Length + 64];
        _nativeCompressed = new byte[_payload.Length * 2 + 1024];
        _zstdC = CodecNative.ZstdCreateCCtx();
        _zstdD = CodecNative.ZstdCreateDCtx();
        nint lz4;
        CodecNative.Lz4FCreateDecompressionContext(&lz4, 100);
        _lz4D = lz4;
        _nativeCompressedLength = NativeCompress();
        if (NativeDecompress() != _payload.Length || CompressionCodec.Decompress(Codec, _samsaCompressed, _payload.Length).Length != _payload.Length)
        {
            throw new InvalidOperationException("Round trip failed.");
        }

        Console.WriteLine($"// codec-sizes {Codec} {RecordBytes} {BatchBytes}: payload {_payload.Length} B, Samsa {_samsaCompressed.Length} B, native {_nativeCompressedLength} B");
    }

    [GlobalCleanup]
    public void Cleanup() => _writer.Dispose();

    [Benchmark]
    public int Samsa_Compress()
    {
        _writer.Clear();
        CompressionCodec.Compress(Codec, _payload, _writer);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public int Native_Compress() => NativeCompress();

    [Benchmark]
    public long Samsa_Decompress()
    {
        _writer.Clear();
        return CompressionCodec.Decompress(Codec, _samsaCompressed, _writer, _payload.Length);
    }

    [Benchmark]
    public long Samsa_StreamingRead()
    {
        using RecordsDecompressor decompressor = CompressionCodec.CreateDecompressor(Codec, _samsaCompressed, _payload.Length);
        long total = 0;
        int read;
        while ((read = decompressor.Read(_window)) > 0)
        {
            total += read;
        }

        return total;
    }

    [Benchmark]
    public long Native_Decompress() => NativeDecompress();

    /// <summary>The records of a batch of at most <paramref name="batchBytes"/> with <paramref name="recordBytes"/>-byte log-like values.</summary>
    internal static byte[] RecordsPayload(int batchBytes, int recordBytes)
    {
        string[] words = ["order", "shipped", "user", "eu-west-1", "checkout", "latency_ms", "status", "ok", "retry", "cart", "GET", "/api/v2/items"];
        var random = new Random(1234);
        var value = new StringBuilder();
        using var builder = new RecordBatchBuilder(batchBytes);
        long timestamp = 1_700_000_000_000;
        byte[] bytes = new byte[recordBytes];
        while (builder.SizeInBytes + recordBytes + 32 <= batchBytes)
        {
            value.Clear();
            value.Append("{\"ts\":").Append(timestamp + builder.Count).Append(",\"id\":").Append(random.Next(1_000_000));
            while (value.Length < recordBytes)
            {
                value.Append(' ').Append(words[random.Next(words.Length)]).Append('=').Append(random.Next(10_000));
            }

            Encoding.ASCII.GetBytes(value.ToString(0, recordBytes), bytes);
            builder.Append(timestamp + builder.Count, Encoding.ASCII.GetBytes("user-" + random.Next(1000)), bytes);
        }

        return builder.ToArray()[RecordBatchHeader.RecordsOffset..];
    }

    private int NativeCompress()
    {
        fixed (byte* src = _payload)
        fixed (byte* dst = _nativeCompressed)
        {
            nuint length = (nuint)_nativeCompressed.Length;
            switch (Codec)
            {
                case CompressionType.Gzip:
                    CodecNative.ZlibCompress2(dst, &length, src, (nuint)_payload.Length, 6);
                    return (int)length;
                case CompressionType.Snappy:
                    CodecNative.SnappyCompress(src, (nuint)_payload.Length, dst, &length);
                    return (int)length;
                case CompressionType.Lz4:
                    var preferences = CodecNative.Lz4Preferences.Kafka();
                    return (int)CodecNative.Lz4FCompressFrame(dst, length, src, (nuint)_payload.Length, &preferences);
                default:
                    return (int)CodecNative.ZstdCompressCCtx(_zstdC, dst, length, src, (nuint)_payload.Length, 3);
            }
        }
    }

    private int NativeDecompress()
    {
        fixed (byte* src = _nativeCompressed)
        fixed (byte* dst = _nativeOutput)
        {
            nuint length = (nuint)_nativeOutput.Length;
            nuint sourceLength = (nuint)_nativeCompressedLength;
            switch (Codec)
            {
                case CompressionType.Gzip:
                    CodecNative.ZlibUncompress(dst, &length, src, sourceLength);
                    return (int)length;
                case CompressionType.Snappy:
                    CodecNative.SnappyUncompress(src, sourceLength, dst, &length);
                    return (int)length;
                case CompressionType.Lz4:
                    CodecNative.Lz4FDecompress(_lz4D, dst, &length, src, &sourceLength, null);
                    return (int)length;
                default:
                    return (int)CodecNative.ZstdDecompressDCtx(_zstdD, dst, length, src, sourceLength);
            }
        }
    }
}
