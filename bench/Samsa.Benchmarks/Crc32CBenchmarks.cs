using BenchmarkDotNet.Attributes;
using Samsa.Protocol.Records;

namespace Samsa.Benchmarks;

/// <summary>
/// CRC32C of a record batch (<see cref="RecordBatch.ComputeCrc"/>: the bytes from the attributes to the end), as
/// the broker checks it on every produced batch. Throughput = BatchBytes / Mean.
/// </summary>
[MemoryDiagnoser]
public class Crc32CBenchmarks
{
    private byte[] _batch = [];

    [Params(BenchmarkBatches.SixteenKiB, BenchmarkBatches.OneMiB)]
    public int BatchBytes { get; set; }

    [GlobalSetup]
    public void Setup() => _batch = BenchmarkBatches.Build(BatchBytes);

    [Benchmark]
    public uint ComputeCrc() => RecordBatch.ComputeCrc(_batch);
}
