using Samsa.Broker.Coordinator.Group;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Cluster;

/// <summary>
/// Writes the end-of-transaction markers (Kafka's WriteTxnMarkers, internal on a single broker): one COMMIT or ABORT
/// control batch per partition of the transaction, stamped with the producer's id and epoch and the coordinator's
/// epoch, each fsynced under group commit before it counts as written. A marker in a __consumer_offsets partition also
/// makes the group coordinator apply (commit) or drop (abort) the producer's pending transactional offsets there.
/// Thread-safe.
/// </summary>
internal sealed class TxnMarkerWriter(ReplicaManager replicas, GroupCoordinator groups, TimeProvider time)
{
    /// <summary>Writes the marker to one partition; the error is the append's (NONE when written).</summary>
    public async ValueTask<ErrorCode> WriteMarkerAsync(TopicPartition partition, long producerId, short producerEpoch, int coordinatorEpoch, bool commit)
    {
        var type = commit ? ControlRecordType.Commit : ControlRecordType.Abort;
        byte[] batch = EndTransactionMarker.BuildBatch(producerId, producerEpoch, coordinatorEpoch, type, time.GetUtcNow().ToUnixTimeMilliseconds());
        var result = await replicas.AppendAsCoordinatorAsync(partition, batch, waitForFlush: true).ConfigureAwait(false);
        if (result.Error == ErrorCode.None && partition.Topic == GroupCoordinator.OffsetsTopic)
        {
            groups.HandleTxnCompletion(producerId, partition.Partition, commit);
        }
        return result.Error;
    }

    /// <summary>Writes the marker to every partition; the partitions that failed, with their errors (empty when all were written).</summary>
    public async Task<Dictionary<TopicPartition, ErrorCode>> WriteMarkersAsync(IEnumerable<TopicPartition> partitions, long producerId,
        short producerEpoch, int coordinatorEpoch, bool commit)
    {
        var failed = new Dictionary<TopicPartition, ErrorCode>();
        foreach (var partition in partitions)
        {
            var error = await WriteMarkerAsync(partition, producerId, producerEpoch, coordinatorEpoch, commit).ConfigureAwait(false);
            if (error != ErrorCode.None)
            {
                failed[partition] = error;
            }
        }
        return failed;
    }
}
