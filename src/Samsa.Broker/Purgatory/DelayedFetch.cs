using System.Threading.Tasks.Sources;
using Samsa.Broker.Cluster;
using Samsa.Protocol;

namespace Samsa.Broker.Purgatory;

/// <summary>
/// A Fetch that found less than fetch.min.bytes and waits in the fetch purgatory, up to max.wait.ms, for appends to its
/// partitions (Kafka's DelayedFetch). It can complete when the bytes readable since the first read reach min.bytes, or
/// when a partition's state makes waiting pointless: the partition is gone (deleted, or deleted and created again), the
/// fetch offset fell below the log start offset or above the high watermark (truncation), or the high watermark moved
/// to another segment than the one it was in (a roll, or an append between the first read and the snapshot below).
/// At read_committed, appends behind an open transaction do not count until its marker moves the last stable offset.
/// <para>
/// The checks are cheap: no log reads. Each partition keeps the high watermark the first read saw and a snapshot of
/// the high watermark's segment and byte position taken right after it; the bytes appended since are the distance
/// from that position to the current one (<see cref="Samsa.Storage.PartitionLog.HighWatermarkPosition"/>), capped at
/// the partition's max bytes as Kafka does.
/// </para>
/// <para>
/// Completing only signals the request (<see cref="WaitAsync"/>), whose continuation re-reads the partitions on the
/// thread pool: appending and timer threads never do a fetch's reads. Thread-safe; the completion checks run under the
/// operation's lock (see <see cref="DelayedOperation"/>).
/// </para>
/// </summary>
internal sealed class DelayedFetch : DelayedOperation, IValueTaskSource
{
    private readonly ReplicaManager _replicas;
    private readonly FetchPartitionStatus[] _partitions;
    private readonly int _minBytes;
    private readonly int _bytesAtFirstRead;
    private readonly bool _readCommitted;
    private ManualResetValueTaskSourceCore<bool> _completion;
    private int _expired;

    /// <param name="partitions">The request's partitions in request order, with what the first read saw.</param>
    /// <param name="keys">The partitions to watch (those of <paramref name="partitions"/>).</param>
    /// <param name="readCommitted">The fetch reads at read_committed: records are readable only below the last stable offset.</param>
    public DelayedFetch(long maxWaitMs, int minBytes, int bytesAtFirstRead, ReplicaManager replicas,
        FetchPartitionStatus[] partitions, TopicPartition[] keys, bool readCommitted = false)
        : base(maxWaitMs)
    {
        _readCommitted = readCommitted;
        _replicas = replicas;
        _partitions = partitions;
        _minBytes = minBytes;
        _bytesAtFirstRead = bytesAtFirstRead;
        Keys = keys;
        _completion.RunContinuationsAsynchronously = true;
    }

    public TopicPartition[] Keys { get; }

    /// <summary>True once the fetch completed because max.wait.ms passed.</summary>
    public bool Expired => Volatile.Read(ref _expired) != 0;

    /// <summary>Completes when the operation does; await it once.</summary>
    public ValueTask WaitAsync() => new(this, _completion.Version);

    public override bool TryComplete()
    {
        long accumulated = _bytesAtFirstRead;
        foreach (ref readonly var status in _partitions.AsSpan())
        {
            var partition = _replicas.GetPartition(status.TopicPartition);
            if (partition is null || !ReferenceEquals(partition, status.Partition))
            {
                // Deleted (or deleted and created again): the re-read answers UNKNOWN_TOPIC_OR_PARTITION or new data.
                return ForceComplete();
            }
            var log = partition.Log;
            if (status.FetchOffset < log.LogStartOffset)
            {
                return ForceComplete();
            }
            var (highWatermark, segmentBaseOffset, position) = log.HighWatermarkPosition();
            if (highWatermark == status.HighWatermarkAtRead
                || (_readCommitted && log.LastStableOffset <= status.FetchOffset && highWatermark >= status.FetchOffset))
            {
                // Nothing new, or nothing stable yet: an open transaction holds the last stable offset back.
                continue;
            }
            if (highWatermark < status.FetchOffset
                || status.Snapshot.Offset != status.HighWatermarkAtRead
                || segmentBaseOffset != status.Snapshot.SegmentBaseOffset
                || position < status.Snapshot.Position)
            {
                return ForceComplete();
            }
            accumulated += Math.Min(position - status.Snapshot.Position, status.PartitionMaxBytes);
        }
        return accumulated >= _minBytes && ForceComplete();
    }

    protected override void OnComplete() => _completion.SetResult(true);

    protected override void OnExpiration() => Volatile.Write(ref _expired, 1);

    void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);
}

/// <summary>
/// One partition of a delayed fetch: the partition the first read found, the fetch position, and the high watermark
/// that read saw next to a snapshot of the high watermark's segment and position taken just after it.
/// </summary>
internal readonly record struct FetchPartitionStatus(
    TopicPartition TopicPartition,
    Partition? Partition,
    long FetchOffset,
    int PartitionMaxBytes,
    long HighWatermarkAtRead,
    (long Offset, long SegmentBaseOffset, long Position) Snapshot);
