using Samsa.Protocol.Records;

namespace Samsa.Client.Producer;

/// <summary>
/// One record for <see cref="KafkaProducer.Produce(in ProduceRecord, IDeliveryHandler?, long)"/>: spans over the
/// caller's bytes, copied into the batch before Produce returns, so nothing is allocated per record.
/// </summary>
public readonly ref struct ProduceRecord
{
    public ProduceRecord(string topic, ReadOnlySpan<byte> value)
    {
        Topic = topic;
        Value = value;
    }

    public string Topic { get; init; }

    /// <summary>The partition, or <see cref="KafkaProducer.AnyPartition"/> to let the partitioner choose.</summary>
    public int Partition { get; init; } = KafkaProducer.AnyPartition;

    public ReadOnlySpan<byte> Key { get; init; }

    /// <summary>True sends a null key (the default); setting <see cref="Key"/> does not change it.</summary>
    public bool KeyIsNull { get; init; } = true;

    public ReadOnlySpan<byte> Value { get; init; }

    /// <summary>True sends a null value: a tombstone on a compacted topic.</summary>
    public bool ValueIsNull { get; init; }

    /// <summary>Milliseconds since the Unix epoch, or -1 for the time of Produce.</summary>
    public long TimestampMs { get; init; } = -1;

    public ReadOnlySpan<RecordHeader> Headers { get; init; }
}
