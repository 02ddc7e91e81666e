using Samsa.Protocol;

namespace Samsa.Client;

/// <summary>A Kafka error returned by a broker, or a failure to talk to one.</summary>
public class KafkaException(ErrorCode error, string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorCode Error { get; } = error;

    /// <summary>True when the client can do nothing more (a fenced producer, for example).</summary>
    public bool IsFatal { get; init; }
}

/// <summary>A produced record failed.</summary>
public sealed class ProduceException<TKey, TValue>(ErrorCode error, string message, DeliveryResult<TKey, TValue> result)
    : KafkaException(error, message)
{
    public DeliveryResult<TKey, TValue> DeliveryResult { get; } = result;
}

/// <summary>A consumer could not read or decode a record.</summary>
public sealed class ConsumeException(ErrorCode error, string message, TopicPartitionOffset position, Exception? inner = null)
    : KafkaException(error, message, inner)
{
    public TopicPartitionOffset Position { get; } = position;
}
