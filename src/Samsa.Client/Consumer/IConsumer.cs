using Samsa.Client.Producer;
using Samsa.Protocol;

namespace Samsa.Client.Consumer;

/// <summary>
/// A typed consumer, shaped like Confluent.Kafka's: <see cref="Subscribe(IEnumerable{string})"/> joins group.id with the
/// classic group protocol; <see cref="Assign"/> reads chosen partitions without a group. Fetches run in the
/// background, one ahead of the application. Not thread-safe except <see cref="Close"/> and <see cref="IDisposable.Dispose"/>,
/// like Kafka's consumers: one thread calls Consume.
/// </summary>
public interface IConsumer<TKey, TValue> : IDisposable
{
    string Name { get; }

    /// <summary>This member's id in the group, or "" outside one.</summary>
    string MemberId { get; }

    IReadOnlyList<TopicPartition> Assignment { get; }

    IReadOnlyList<string> Subscription { get; }

    ConsumerGroupMetadata? ConsumerGroupMetadata { get; }

    /// <summary>Subscribes to topics; a name starting with '^' is a regular expression over all topics (librdkafka's rule).</summary>
    void Subscribe(IEnumerable<string> topics);

    void Subscribe(string topic);

    void Unsubscribe();

    /// <summary>Reads these partitions without a group, from the given offsets (special offsets allowed).</summary>
    void Assign(IEnumerable<TopicPartitionOffset> partitions);

    void Assign(IEnumerable<TopicPartition> partitions);

    void Unassign();

    /// <summary>The next record, or null when none arrived within the timeout.</summary>
    ConsumeResult<TKey, TValue>? Consume(TimeSpan timeout);

    /// <summary>The next record; waits until one arrives or the token is cancelled.</summary>
    ConsumeResult<TKey, TValue> Consume(CancellationToken cancellationToken = default);

    /// <summary>
    /// The allocation-light path: hands up to max.poll.records buffered records to <paramref name="visitor"/> as spans
    /// into the fetch response (no deserializer, no per-record allocation), waiting up to <paramref name="timeout"/>
    /// for the first; returns how many. Rebalances, offset resets, auto-commit and enable.auto.offset.store work as
    /// in <see cref="Consume(TimeSpan)"/>; the spans are valid only during <see cref="IRecordVisitor.OnRecord"/>.
    /// </summary>
    int ConsumeBatch(IRecordVisitor visitor, TimeSpan timeout);

    /// <summary>Consume in a loop, as an async stream, until the token is cancelled.</summary>
    IAsyncEnumerable<ConsumeResult<TKey, TValue>> ConsumeAllAsync(CancellationToken cancellationToken = default);

    void Seek(TopicPartitionOffset position);

    void Pause(IEnumerable<TopicPartition> partitions);

    void Resume(IEnumerable<TopicPartition> partitions);

    /// <summary>The offset the next Consume returns for a partition, or <see cref="Offset.Unset"/>.</summary>
    Offset Position(TopicPartition partition);

    /// <summary>Remembers an offset to commit: the position after <paramref name="result"/>.</summary>
    void StoreOffset(ConsumeResult<TKey, TValue> result);

    /// <summary>Remembers an offset to commit as given (the next offset to read).</summary>
    void StoreOffset(TopicPartitionOffset offset);

    /// <summary>Commits the stored offsets and returns them.</summary>
    IReadOnlyList<TopicPartitionOffset> Commit();

    void Commit(IEnumerable<TopicPartitionOffset> offsets);

    /// <summary>Commits the offset after <paramref name="result"/>.</summary>
    void Commit(ConsumeResult<TKey, TValue> result);

    Task<IReadOnlyList<TopicPartitionOffset>> CommitAsync(CancellationToken cancellationToken = default);

    Task CommitAsync(IEnumerable<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default);

    IReadOnlyList<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout);

    WatermarkOffsets QueryWatermarkOffsets(TopicPartition partition, TimeSpan timeout);

    /// <summary>Commits (with auto-commit) and leaves the group; Dispose after Close only releases resources.</summary>
    void Close();
}
