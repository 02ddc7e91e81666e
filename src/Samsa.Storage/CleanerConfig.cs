namespace Samsa.Storage;

/// <summary>
/// Settings of the <see cref="LogCleaner"/>, named after Kafka's broker configs (<c>log.cleaner.*</c>). The per-topic
/// settings (policy, dirty ratio, lags, tombstone retention) live in <see cref="LogConfig"/>. Immutable; thread-safe.
/// </summary>
public sealed record CleanerConfig
{
    /// <summary>The defaults below.</summary>
    public static CleanerConfig Default { get; } = new();

    /// <summary><c>log.cleaner.threads</c>: cleaner threads, each cleaning one log at a time. Default 1.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// <c>log.cleaner.dedupe.buffer.size</c>: memory of the offset maps of all threads together (each thread gets an
    /// equal share, at most 2 GiB). A map holds one 24-byte slot per key. Default 128 MiB. The memory is allocated the
    /// first time a thread cleans a log.
    /// </summary>
    public long DedupeBufferSize { get; init; } = 128L * 1024 * 1024;

    /// <summary>
    /// <c>log.cleaner.io.buffer.load.factor</c>: the fraction of the offset map's slots filled before a pass stops
    /// adding keys (open addressing slows as it fills). Default 0.9.
    /// </summary>
    public double DedupeBufferLoadFactor { get; init; } = 0.9;

    /// <summary>
    /// <c>log.cleaner.io.buffer.size</c>: memory of the read and write buffers of all threads together; each thread
    /// reads segments in chunks of half its share and writes through the other half. Default 512 KiB. A batch larger
    /// than a chunk is read whole.
    /// </summary>
    public int IoBufferSize { get; init; } = 512 * 1024;

    /// <summary>
    /// <c>log.cleaner.io.max.bytes.per.second</c>: cap on the bytes all threads read and write per second.
    /// Default <see cref="double.MaxValue"/> (unlimited).
    /// </summary>
    public double MaxIoBytesPerSecond { get; init; } = double.MaxValue;

    /// <summary><c>log.cleaner.backoff.ms</c>: how long a thread sleeps when no log needs cleaning. Default 15000.</summary>
    public long BackoffMs { get; init; } = 15000;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Threads < 1)
        {
            throw new ArgumentException($"Threads must be at least 1, not {Threads}.");
        }

        if (DedupeBufferSize / Threads < OffsetMap.SlotSize * 4L)
        {
            throw new ArgumentException($"DedupeBufferSize {DedupeBufferSize} is too small for {Threads} threads.");
        }

        if (DedupeBufferLoadFactor is <= 0 or > 1 || double.IsNaN(DedupeBufferLoadFactor))
        {
            throw new ArgumentException($"DedupeBufferLoadFactor must be in (0, 1], not {DedupeBufferLoadFactor}.");
        }

        if (IoBufferSize / Threads < 1024)
        {
            throw new ArgumentException($"IoBufferSize {IoBufferSize} is too small for {Threads} threads.");
        }

        if (!(MaxIoBytesPerSecond > 0))
        {
            throw new ArgumentException($"MaxIoBytesPerSecond must be positive, not {MaxIoBytesPerSecond}.");
        }

        if (BackoffMs < 0)
        {
            throw new ArgumentException($"BackoffMs must not be negative, not {BackoffMs}.");
        }
    }
}
