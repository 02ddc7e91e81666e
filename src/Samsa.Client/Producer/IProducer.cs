using Samsa.Protocol;

namespace Samsa.Client.Producer;

/// <summary>
/// A typed producer, shaped like Confluent.Kafka's. Records are batched per partition and sent in the background;
/// <see cref="ProduceAsync(string, Message{TKey, TValue}, CancellationToken)"/> completes when the record is
/// acknowledged, <see cref="Produce(string, Message{TKey, TValue}, Action{DeliveryReport{TKey, TValue}}?)"/> calls a
/// handler instead. Thread-safe.
/// </summary>
public interface IProducer<TKey, TValue> : IDisposable
{
    /// <summary>client.id.</summary>
    string Name { get; }

    /// <summary>The engine underneath, for allocation-free producing of raw bytes.</summary>
    KafkaProducer Engine { get; }

    Task<DeliveryResult<TKey, TValue>> ProduceAsync(string topic, Message<TKey, TValue> message, CancellationToken cancellationToken = default);

    Task<DeliveryResult<TKey, TValue>> ProduceAsync(TopicPartition topicPartition, Message<TKey, TValue> message, CancellationToken cancellationToken = default);

    /// <summary>Queues a record; the handler runs on a client thread once the record is written or has failed.</summary>
    void Produce(string topic, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null);

    void Produce(TopicPartition topicPartition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null);

    /// <summary>Sends everything queued and waits for it; returns how many records were still waiting at the timeout.</summary>
    int Flush(TimeSpan timeout);

    void Flush(CancellationToken cancellationToken = default);

    /// <summary>Registers transactional.id with its coordinator, fencing older producers with the same id.</summary>
    void InitTransactions(TimeSpan timeout);

    void BeginTransaction();

    /// <summary>Adds a consumer group's offsets to the transaction; they are committed with it.</summary>
    void SendOffsetsToTransaction(IEnumerable<TopicPartitionOffset> offsets, ConsumerGroupMetadata groupMetadata, TimeSpan timeout);

    void CommitTransaction(TimeSpan timeout);

    void AbortTransaction(TimeSpan timeout);
}

/// <summary>What a transactional producer needs to commit a consumer's offsets in its transaction (KIP-447).</summary>
public sealed record ConsumerGroupMetadata(string GroupId, int GenerationId = -1, string MemberId = "", string? GroupInstanceId = null);

/// <summary>Receives the outcome of records produced through <see cref="KafkaProducer"/> without allocating per record.</summary>
public interface IDeliveryHandler
{
    /// <summary>Called once per record, on a client thread, with the token given to Produce.</summary>
    void OnDelivery(long token, in DeliveryInfo info);
}

/// <summary>Where a record was written, or why it was not.</summary>
public readonly record struct DeliveryInfo(string Topic, int Partition, long Offset, long TimestampMs, TimestampType TimestampType, ErrorCode Error, string? Reason)
{
    public bool IsSuccess => Error == ErrorCode.None;
}
