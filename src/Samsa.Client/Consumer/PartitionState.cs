using Samsa.Protocol;

namespace Samsa.Client.Consumer;

/// <summary>
/// A consumer's view of one assigned partition. <see cref="Position"/>, <see cref="StoredOffset"/> and the EOF flag
/// belong to the thread calling Consume; the fetch fields (<see cref="FetchOffset"/>, <see cref="Epoch"/>,
/// <see cref="IsPaused"/>, <see cref="PendingStart"/>) are read and written under the consumer's fetch lock, because
/// fetch responses are handled on other threads.
/// </summary>
internal sealed class PartitionState(TopicPartition topicPartition)
{
    public TopicPartition TopicPartition { get; } = topicPartition;

    public string Topic => TopicPartition.Topic;

    public int Partition => TopicPartition.Partition;

    /// <summary>The offset the application reads next; -1 until the start is resolved.</summary>
    public long Position { get; set; } = -1;

    /// <summary>The offset the next fetch asks for: ahead of <see cref="Position"/> while responses are buffered.</summary>
    public long FetchOffset { get; set; } = -1;

    /// <summary>Where to start when <see cref="Position"/> is unknown: a real offset or Stored, Beginning, End.</summary>
    public Offset PendingStart { get; set; } = Offset.Stored;

    /// <summary>Bumped on every seek or reset: a fetch sent under an older epoch is dropped.</summary>
    public int Epoch { get; set; }

    public bool IsPaused { get; set; }

    /// <summary>True while a fetch that includes this partition is in flight.</summary>
    public bool IsFetching { get; set; }

    /// <summary>An error to hand the application on its next Consume (auto.offset.reset none).</summary>
    public KafkaException? PendingError { get; set; }

    public long HighWatermark { get; set; } = -1;

    public long LastStableOffset { get; set; } = -1;

    public long LogStartOffset { get; set; } = -1;

    /// <summary>The leader epoch of the last record returned, -1 when unknown.</summary>
    public int LastLeaderEpoch { get; set; } = -1;

    /// <summary>The offset to commit next (the one after the last record handed over), -1 for none.</summary>
    public long StoredOffset { get; set; } = -1;

    public int StoredLeaderEpoch { get; set; } = -1;

    /// <summary>The last offset committed by this consumer or fetched as committed, -1 for none.</summary>
    public long CommittedOffset { get; set; } = -1;

    public bool EofReported { get; set; }

    public bool HasPosition => Position >= 0;

    /// <summary>Starts over from <paramref name="start"/>: drops what was fetched and invalidates fetches in flight.</summary>
    public void Reset(Offset start)
    {
        Epoch++;
        EofReported = false;
        PendingError = null;
        if (start.Value >= 0)
        {
            Position = start.Value;
            FetchOffset = start.Value;
        }
        else
        {
            Position = -1;
            FetchOffset = -1;
            PendingStart = start;
        }
    }
}
