namespace Samsa.Client;

/// <summary>A record timestamp in milliseconds since the Unix epoch, and what set it.</summary>
public readonly record struct Timestamp(long UnixTimestampMs, TimestampType Type)
{
    /// <summary>No timestamp: the producer uses the time of Produce.</summary>
    public static readonly Timestamp Default = new(0, TimestampType.NotAvailable);

    public Timestamp(DateTimeOffset time)
        : this(time.ToUnixTimeMilliseconds(), TimestampType.CreateTime)
    {
    }

    public DateTime UtcDateTime => DateTimeOffset.FromUnixTimeMilliseconds(UnixTimestampMs).UtcDateTime;
}

/// <summary>Who set a timestamp: the producer (CreateTime) or the broker (LogAppendTime).</summary>
public enum TimestampType
{
    NotAvailable,
    CreateTime,
    LogAppendTime,
}
