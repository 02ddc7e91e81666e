using Samsa.Protocol;

namespace Samsa.Client;

/// <summary>Where a produced record was written.</summary>
public class DeliveryResult<TKey, TValue>
{
    public string Topic { get; init; } = "";

    public int Partition { get; init; }

    public Offset Offset { get; init; }

    public TopicPartition TopicPartition => new(Topic, Partition);

    public TopicPartitionOffset TopicPartitionOffset => new(Topic, Partition, Offset);

    /// <summary>The record's timestamp as stored (LogAppendTime when the topic stamps it).</summary>
    public Timestamp Timestamp { get; init; }

    public Message<TKey, TValue> Message { get; init; } = null!;

    public PersistenceStatus Status { get; init; }
}

/// <summary>The outcome of one record given to <c>Produce</c> with a delivery handler.</summary>
public sealed class DeliveryReport<TKey, TValue> : DeliveryResult<TKey, TValue>
{
    /// <summary><see cref="ErrorCode.None"/> when the record was written.</summary>
    public ErrorCode Error { get; init; }

    /// <summary>Why the record failed, when it did.</summary>
    public string? Reason { get; init; }
}

/// <summary>Whether a record is known to be in the log.</summary>
public enum PersistenceStatus
{
    NotPersisted,
    PossiblyPersisted,
    Persisted,
}
