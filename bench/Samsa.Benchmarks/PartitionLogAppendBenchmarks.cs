using BenchmarkDotNet.Attributes;
using Samsa.Protocol;
using Samsa.Storage;

namespace Samsa.Benchmarks;

/// <summary>
/// <see cref="PartitionLog.Append"/> of one validated 16 KiB batch into a log in a temporary directory, with the
/// default settings (no fsync per append, an index entry every 4 KiB). The batch is written to the page cache; to keep
/// the disk use bounded the log is truncated to empty after every 256 MiB, a cost spread over 16,384 appends.
/// </summary>
[MemoryDiagnoser]
public class PartitionLogAppendBenchmarks
{
    private const long TruncateAfterBytes = 256L * 1024 * 1024;

    private string _directory = "";
    private LogManager? _logManager;
    private PartitionLog? _log;
    private byte[] _batch = [];

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "samsa-bench-" + Guid.NewGuid().ToString("N"));
        _logManager = new LogManager([_directory], LogConfig.Default);
        _logManager.LoadLogs();
        _log = _logManager.GetOrCreateLog(new TopicPartition("benchmark-topic", 0));
        _batch = BenchmarkBatches.Build(BenchmarkBatches.SixteenKiB);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _logManager?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public long Append()
    {
        PartitionLog log = _log!;
        if (log.Size >= TruncateAfterBytes)
        {
            log.TruncateTo(log.LogStartOffset);
        }

        return log.Append(_batch, leaderEpoch: 0).LastOffset;
    }
}
