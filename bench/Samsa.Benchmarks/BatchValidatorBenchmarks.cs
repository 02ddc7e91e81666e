using BenchmarkDotNet.Attributes;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Benchmarks;

/// <summary>
/// <see cref="BatchValidator.ValidateProduceRecords"/> on one uncompressed batch of 100-byte records: framing, CRC32C
/// and a walk over every record. Runs on every partition of every Produce request.
/// </summary>
[MemoryDiagnoser]
public class BatchValidatorBenchmarks
{
    private byte[] _batch = [];

    [Params(BenchmarkBatches.SixteenKiB, BenchmarkBatches.OneMiB)]
    public int BatchBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _batch = BenchmarkBatches.Build(BatchBytes);
        if (BatchValidator.ValidateProduceRecords(_batch, out _, out _) != ErrorCode.None)
        {
            throw new InvalidOperationException("The benchmark batch does not validate.");
        }
    }

    [Benchmark]
    public int ValidateProduceRecords()
    {
        ErrorCode error = BatchValidator.ValidateProduceRecords(_batch, out _, out int recordCount);
        return error == ErrorCode.None ? recordCount : -1;
    }
}
