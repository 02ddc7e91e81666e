namespace Samsa.Protocol.Records;

/// <summary>
/// What the records of a produced batch are checked against, beyond their framing (Kafka's LogValidator rules):
/// keys on compacted topics, CreateTime timestamps within bounds, and a hard bound on a compressed payload's
/// decompressed size. Immutable.
/// </summary>
public readonly record struct RecordValidationPolicy
{
    /// <summary>The default bound on one batch's decompressed records: 64 MiB.</summary>
    public const long DefaultMaxDecompressedBytes = 64L * 1024 * 1024;

    public RecordValidationPolicy()
    {
    }

    /// <summary>Every record needs a non-null key (cleanup.policy includes compact).</summary>
    public bool RequireKeys { get; init; }

    /// <summary>
    /// The topic's message.timestamp.type. With CreateTime, record timestamps (other than -1) must lie within
    /// [Now - TimestampBeforeMaxMs, Now + TimestampAfterMaxMs]; with LogAppendTime they are not checked.
    /// </summary>
    public TimestampType TimestampType { get; init; } = TimestampType.CreateTime;

    /// <summary>The broker's clock in milliseconds since the epoch, for the timestamp bounds.</summary>
    public long Now { get; init; }

    /// <summary>message.timestamp.before.max.ms: how far in the past a CreateTime timestamp may lie.</summary>
    public long TimestampBeforeMaxMs { get; init; } = long.MaxValue;

    /// <summary>message.timestamp.after.max.ms: how far in the future a CreateTime timestamp may lie.</summary>
    public long TimestampAfterMaxMs { get; init; } = long.MaxValue;

    /// <summary>The most bytes a compressed payload may expand to; past it the batch is INVALID_RECORD.</summary>
    public long MaxDecompressedBytes { get; init; } = DefaultMaxDecompressedBytes;
}
