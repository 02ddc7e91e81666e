using Samsa.Protocol;

namespace Samsa.Client;

/// <summary>A Kafka error returned by a broker, or a failure to talk to one.</summary>
public sealed class KafkaException(ErrorCode error, string message) : Exception(message)
{
    public ErrorCode Error { get; } = error;
}
