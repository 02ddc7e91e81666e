using Samsa.Protocol;
using Samsa.Storage;

namespace Samsa.Broker.Cluster;

/// <summary>
/// A partition this broker hosts: its log, leader epoch and the waiters of delayed fetches.
/// On a single broker it is always the leader and the high watermark follows the log end after each
/// append; replication will move the high watermark by the followers' fetch positions instead.
/// Thread-safe.
/// </summary>
internal sealed class Partition
{
    private TaskCompletionSource _dataArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Partition(TopicPartition topicPartition, PartitionLog log, int maxMessageBytes)
    {
        TopicPartition = topicPartition;
        Log = log;
        MaxMessageBytes = maxMessageBytes;
    }

    public TopicPartition TopicPartition { get; }

    public PartitionLog Log { get; }

    /// <summary>The leader epoch stamped on every batch appended as leader.</summary>
    public int LeaderEpoch { get; } = 0;

    /// <summary>The topic's max.message.bytes: the largest batch accepted.</summary>
    public int MaxMessageBytes { get; }

    /// <summary>Completes when data is next appended (delayed fetches wait on it).</summary>
    public Task DataArrived => Volatile.Read(ref _dataArrived).Task;

    public void SignalDataArrived()
    {
        var previous = Interlocked.Exchange(ref _dataArrived, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }
}
