using Samsa.Protocol;

namespace Samsa.Broker.Coordinator.Transaction;

/// <summary>
/// What __transaction_state stores for one transactional id (the value of its record): producer id and epoch, timeout,
/// state, the partitions of the open transaction and its timestamps. Immutable: a transition builds a new one, which
/// becomes current only once it is written.
/// </summary>
internal sealed record TransactionLogValue(
    long ProducerId,
    short ProducerEpoch,
    int TimeoutMs,
    TransactionState State,
    IReadOnlyList<TopicPartition> Partitions,
    long LastUpdateTimestampMs,
    long StartTimestampMs)
{
    /// <summary>The partitions in a stable order (topic, then partition), as they are written and reported.</summary>
    public static IReadOnlyList<TopicPartition> Sorted(IEnumerable<TopicPartition> partitions) =>
        partitions.Distinct().OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition).ToArray();
}

/// <summary>
/// The coordinator's view of one transactional id: the last written <see cref="TransactionLogValue"/> and the gate that
/// serializes every operation on the id (a request, the timeout abort, marker retries, expiry).
/// Thread-safe through <see cref="Gate"/>: read and change <see cref="Current"/> only while holding it; the listing paths
/// read <see cref="Current"/> without it, which is safe because the value is immutable and the reference is volatile.
/// </summary>
internal sealed class TransactionMetadata(string transactionalId)
{
    private volatile TransactionLogValue? _current;

    public string TransactionalId { get; } = transactionalId;

    /// <summary>Held while an operation reads or changes this transactional id.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The last value written to __transaction_state; null until the first write succeeds.</summary>
    public TransactionLogValue? Current
    {
        get => _current;
        set => _current = value;
    }

    /// <summary>The producer id before the last epoch bump, so a retried InitProducerId (KIP-360) is recognised; -1 when none. Not persisted.</summary>
    public long LastProducerId { get; set; } = -1;

    /// <summary>The epoch before the last bump (with <see cref="LastProducerId"/>); -1 when none. Not persisted.</summary>
    public short LastProducerEpoch { get; set; } = -1;

    /// <summary>Set (under the gate) when the id has expired and left the cache; a waiter that then gets the gate looks again.</summary>
    public bool Removed { get; set; }

    /// <summary>The partitions still waiting for their marker after a failed attempt; null when none failed.</summary>
    public IReadOnlyList<TopicPartition>? PendingMarkers { get; set; }

    /// <summary>Set while markers of a prepared transaction are waiting for a retry, so only one retry is scheduled.</summary>
    public bool MarkerRetryScheduled { get; set; }
}
