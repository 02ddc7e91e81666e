namespace Samsa.Storage;

/// <summary>
/// Per-partition log settings, named after Kafka's topic configs. Immutable; thread-safe.
/// </summary>
public sealed record LogConfig
{
    /// <summary>The defaults below.</summary>
    public static LogConfig Default { get; } = new();

    /// <summary>
    /// <c>segment.bytes</c>: a segment rolls when an append would take it past this size. Default 1 GiB.
    /// A single append larger than this still goes into one (empty) segment.
    /// </summary>
    public int SegmentBytes { get; init; } = 1024 * 1024 * 1024;

    /// <summary>
    /// <c>segment.ms</c>: the active segment rolls once it spans this long (see <see cref="PartitionLog"/>), so
    /// time-based retention can delete it. Default 7 days.
    /// </summary>
    public long SegmentMs { get; init; } = 7L * 24 * 60 * 60 * 1000;

    /// <summary>
    /// <c>segment.jitter.ms</c>: each log subtracts a random amount in [0, this) from <see cref="SegmentMs"/>, drawn
    /// once when it opens, so partitions created together do not all roll at once. Default 0.
    /// </summary>
    public long SegmentJitterMs { get; init; }

    /// <summary>
    /// <c>index.interval.bytes</c>: bytes of log between two offset-index entries. Default 4096.
    /// Smaller means more index entries and shorter scans on lookup.
    /// </summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary>
    /// <c>segment.index.bytes</c>: size each segment's offset index and time index are preallocated to; a full index
    /// rolls the segment. Default 10 MiB (1,310,720 offset-index or 873,813 time-index entries).
    /// </summary>
    public int MaxIndexSize { get; init; } = 10 * 1024 * 1024;

    /// <summary>
    /// <c>flush.messages</c>: fsync the log after this many appended records. Default <see cref="long.MaxValue"/>
    /// (never: durability comes from replication and the page cache, as in Kafka).
    /// </summary>
    public long FlushIntervalMessages { get; init; } = long.MaxValue;

    /// <summary>
    /// <c>flush.ms</c>: fsync the log on an append when this long has passed since the last flush.
    /// Default <see cref="long.MaxValue"/> (never).
    /// </summary>
    public long FlushIntervalMs { get; init; } = long.MaxValue;

    /// <summary>
    /// <c>retention.ms</c>: an inactive segment whose largest timestamp is older than this is deleted. Default 7 days;
    /// -1 means no limit. Applies only when <see cref="Delete"/>.
    /// </summary>
    public long RetentionMs { get; init; } = 604_800_000;

    /// <summary>
    /// <c>retention.bytes</c>: the oldest inactive segments are deleted while the log stays at least this large without
    /// them. Default -1 (no limit). Applies only when <see cref="Delete"/>.
    /// </summary>
    public long RetentionBytes { get; init; } = -1;

    /// <summary>
    /// <c>file.delete.delay.ms</c>: how long a removed segment's files stay open (renamed to <c>.deleted</c>) so
    /// reads that already hold them finish. Default 60000.
    /// </summary>
    public long FileDeleteDelayMs { get; init; } = 60_000;

    /// <summary><c>cleanup.policy</c> includes <c>delete</c>: retention by time and size applies. Default true.</summary>
    public bool Delete { get; init; } = true;

    /// <summary><c>cleanup.policy</c> includes <c>compact</c>: the log cleaner keeps the newest record per key. Default false.</summary>
    public bool Compact { get; init; }

    /// <summary>
    /// <c>delete.retention.ms</c>: how long a tombstone (a record with a null value) survives compaction, measured from
    /// the tombstone's own timestamp (its batch's MaxTimestamp for LogAppendTime). Default 86400000 (one day).
    /// </summary>
    public long DeleteRetentionMs { get; init; } = 86400000;

    /// <summary>
    /// <c>min.cleanable.dirty.ratio</c>: a compacted log is cleaned once the bytes after the cleaner checkpoint are at
    /// least this fraction of the log's non-active bytes. Default 0.5.
    /// </summary>
    public double MinCleanableDirtyRatio { get; init; } = 0.5;

    /// <summary>
    /// <c>min.compaction.lag.ms</c>: a segment holding a record newer than this is not cleaned yet, nor is anything
    /// after it. Default 0.
    /// </summary>
    public long MinCompactionLagMs { get; init; }

    /// <summary>
    /// <c>max.compaction.lag.ms</c>: a log whose oldest uncleaned segment starts with a batch older than this is cleaned
    /// whatever its dirty ratio. Default <see cref="long.MaxValue"/> (never forced).
    /// </summary>
    public long MaxCompactionLagMs { get; init; } = long.MaxValue;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (SegmentBytes < 1024)
        {
            throw new ArgumentException($"SegmentBytes must be at least 1024, not {SegmentBytes}.");
        }

        if (SegmentMs < 1)
        {
            throw new ArgumentException($"SegmentMs must be at least 1, not {SegmentMs}.");
        }

        if (SegmentJitterMs < 0)
        {
            throw new ArgumentException($"SegmentJitterMs must not be negative, not {SegmentJitterMs}.");
        }

        if (IndexIntervalBytes < 0)
        {
            throw new ArgumentException($"IndexIntervalBytes must not be negative, not {IndexIntervalBytes}.");
        }

        if (MaxIndexSize < OffsetIndex.EntrySize)
        {
            throw new ArgumentException($"MaxIndexSize must hold at least one entry ({OffsetIndex.EntrySize} bytes), not {MaxIndexSize}.");
        }

        if (FlushIntervalMessages < 1)
        {
            throw new ArgumentException($"FlushIntervalMessages must be at least 1, not {FlushIntervalMessages}.");
        }

        if (FlushIntervalMs < 0)
        {
            throw new ArgumentException($"FlushIntervalMs must not be negative, not {FlushIntervalMs}.");
        }

        if (RetentionMs < -1)
        {
            throw new ArgumentException($"RetentionMs must be -1 (no limit) or more, not {RetentionMs}.");
        }

        if (RetentionBytes < -1)
        {
            throw new ArgumentException($"RetentionBytes must be -1 (no limit) or more, not {RetentionBytes}.");
        }

        if (FileDeleteDelayMs < 0)
        {
            throw new ArgumentException($"FileDeleteDelayMs must not be negative, not {FileDeleteDelayMs}.");
        }

        ValidateCompaction();
    }

    private void ValidateCompaction()
    {
        if (DeleteRetentionMs < 0)
        {
            throw new ArgumentException($"DeleteRetentionMs must not be negative, not {DeleteRetentionMs}.");
        }

        if (!(MinCleanableDirtyRatio >= 0 && MinCleanableDirtyRatio <= 1))
        {
            throw new ArgumentException($"MinCleanableDirtyRatio must be in [0, 1], not {MinCleanableDirtyRatio}.");
        }

        if (MinCompactionLagMs < 0)
        {
            throw new ArgumentException($"MinCompactionLagMs must not be negative, not {MinCompactionLagMs}.");
        }

        if (MaxCompactionLagMs < 1)
        {
            throw new ArgumentException($"MaxCompactionLagMs must be at least 1, not {MaxCompactionLagMs}.");
        }
    }
}
