using Microsoft.Extensions.Logging;

namespace Samsa.Storage;

/// <summary>What crash recovery did to one partition's log, logged as one line. Used by one thread while the log opens.</summary>
internal sealed class RecoveryReport(long from)
{
    /// <summary>The recovery point: segments that may hold offsets at or above it were checked.</summary>
    public long From { get; } = from;

    public int SegmentsChecked { get; set; }

    public int IndexesRebuilt { get; set; }

    public long BytesTruncated { get; set; }

    /// <summary>Segments after the damaged one, removed because the log cannot continue past the damage.</summary>
    public int SegmentsRemoved { get; set; }

    public string? DamagedSegment { get; set; }

    public SegmentDamage? Damage { get; set; }

    public void Log(ILogger logger, string topicPartition, long logEndOffset)
    {
        if (SegmentsChecked == 0)
        {
            return;
        }

        if (Damage is not { } damage)
        {
            StorageLog.RecoveredIntact(logger, topicPartition, SegmentsChecked, From, IndexesRebuilt, logEndOffset);
        }
        else if (damage.HasValidBatchesAfter || SegmentsRemoved > 0)
        {
            StorageLog.RecoveredCorruptMiddle(
                logger, topicPartition, DamagedSegment!, damage.Position, damage.Reason,
                damage.HasValidBatchesAfter ? $"a valid batch follows at position {damage.NextValidBatchPosition}" : "no valid batch follows in the segment",
                BytesTruncated, SegmentsRemoved, SegmentsChecked, From, IndexesRebuilt, logEndOffset);
        }
        else
        {
            StorageLog.RecoveredTornTail(
                logger, topicPartition, BytesTruncated, DamagedSegment!, damage.Position, damage.Reason,
                SegmentsChecked, From, IndexesRebuilt, logEndOffset);
        }
    }
}
