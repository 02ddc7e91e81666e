namespace Samsa.Broker.Config;

/// <summary>Which timestamp a topic's records carry: <c>message.timestamp.type</c>.</summary>
public enum MessageTimestampType
{
    /// <summary><c>CreateTime</c>: the producer's timestamp.</summary>
    CreateTime = 0,

    /// <summary><c>LogAppendTime</c>: the broker stamps the time of the append.</summary>
    LogAppendTime = 1,
}
