namespace Samsa.Storage;

/// <summary>
/// How often <see cref="LogManager"/>'s background tasks run (<see cref="LogManager.StartBackgroundTasks"/>), named after
/// the broker settings they come from. <see cref="long.MaxValue"/> turns a task off. Immutable; thread-safe.
/// </summary>
public sealed record LogScheduleOptions
{
    /// <summary><c>log.retention.check.interval.ms</c>: how often retention runs on every log. Default 300000.</summary>
    public long RetentionCheckIntervalMs { get; init; } = 300_000;

    /// <summary>
    /// <c>log.flush.offset.checkpoint.interval.ms</c>: how often the recovery points are written to
    /// <c>recovery-point-offset-checkpoint</c>. Default 60000.
    /// </summary>
    public long RecoveryPointCheckpointIntervalMs { get; init; } = 60_000;

    /// <summary>
    /// <c>log.flush.start.offset.checkpoint.interval.ms</c>: how often the log start offsets are written to
    /// <c>log-start-offset-checkpoint</c>. Default 60000.
    /// </summary>
    public long LogStartOffsetCheckpointIntervalMs { get; init; } = 60_000;

    /// <summary>
    /// <c>log.flush.scheduler.interval.ms</c>: how often logs are checked against their <c>flush.ms</c>, so a log that is
    /// no longer appended to still gets flushed. Default <see cref="long.MaxValue"/> (never).
    /// </summary>
    public long FlushSchedulerIntervalMs { get; init; } = long.MaxValue;

    /// <summary>
    /// How often removed segments are checked against their <c>file.delete.delay.ms</c> and deleted. Default 1000.
    /// </summary>
    public long SegmentDeletionCheckIntervalMs { get; init; } = 1_000;

    /// <summary><c>producer.id.expiration.check.interval.ms</c>: how often idle producers are removed. Default 600000.</summary>
    public long ProducerIdExpirationCheckIntervalMs { get; init; } = 600_000;

    /// <summary><c>producer.id.expiration.ms</c>: how long a producer with no open transaction is remembered after its last write. Default 86400000.</summary>
    public long ProducerIdExpirationMs { get; init; } = 86_400_000;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first interval that is not positive.</summary>
    public void Validate()
    {
        Check(RetentionCheckIntervalMs, nameof(RetentionCheckIntervalMs));
        Check(RecoveryPointCheckpointIntervalMs, nameof(RecoveryPointCheckpointIntervalMs));
        Check(LogStartOffsetCheckpointIntervalMs, nameof(LogStartOffsetCheckpointIntervalMs));
        Check(FlushSchedulerIntervalMs, nameof(FlushSchedulerIntervalMs));
        Check(SegmentDeletionCheckIntervalMs, nameof(SegmentDeletionCheckIntervalMs));
        Check(ProducerIdExpirationCheckIntervalMs, nameof(ProducerIdExpirationCheckIntervalMs));
        Check(ProducerIdExpirationMs, nameof(ProducerIdExpirationMs));

        static void Check(long value, string name)
        {
            if (value < 1)
            {
                throw new ArgumentException($"{name} must be at least 1, not {value}.");
            }
        }
    }
}
