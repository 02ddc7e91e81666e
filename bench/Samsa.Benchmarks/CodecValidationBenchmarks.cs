using BenchmarkDotNet.Attributes;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Benchmarks;

/// <summary>
/// What the broker spends per produced batch: <see cref="BatchValidator.ValidateProduceBatch"/> (framing, CRC, and every
/// record, decompressed as a stream through a 64 KiB window) on a 16 KiB or 1 MiB batch of 100 B records with log-like
/// values, per codec. MB/s is the uncompressed payload size divided by the mean time.
/// </summary>
[MemoryDiagnoser]
public class CodecValidationBenchmarks
{
    private static readonly RecordValidationPolicy Policy = new() { Now = 1_700_000_000_000 };
    private byte[] _batch = [];

    [Params(CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd)]
    public CompressionType Codec { get; set; }

    [Params(BenchmarkBatches.SixteenKiB, BenchmarkBatches.OneMiB)]
    public int BatchBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] payload = CodecBenchmarks.RecordsPayload(BatchBytes, 100);
        byte[] plain = BuildBatch(BatchBytes);
        _batch = Codec == CompressionType.None ? plain : RecordBatchCompression.Compress(plain, Codec);
        BatchValidationResult result = BatchValidator.ValidateProduceBatch(_batch, Policy);
        if (!result.IsValid)
        {
            throw new InvalidOperationException("The benchmark batch does not validate: " + result.Reason);
        }

        Console.WriteLine($"// validation-sizes {Codec} {BatchBytes}: batch {_batch.Length} B, records {result.UncompressedRecordsBytes} B ({payload.Length} B payload)");
    }

    [Benchmark]
    public int ValidateProduceBatch()
    {
        BatchValidationResult result = BatchValidator.ValidateProduceBatch(_batch, Policy);
        return result.Error == ErrorCode.None ? result.RecordCount : -1;
    }

    private static byte[] BuildBatch(int batchBytes)
    {
        byte[] payload = CodecBenchmarks.RecordsPayload(batchBytes, 100);
        using var builder = new RecordBatchBuilder(batchBytes);
        var reader = new RecordReader(payload);
        while (reader.MoveNext())
        {
            Record record = reader.Current;
            builder.Append(1_700_000_000_000 + record.TimestampDelta, record.Key, record.IsKeyNull, record.Value, record.IsValueNull);
        }

        return builder.ToArray();
    }
}
