using Samsa.Protocol.Records;

namespace Samsa.Client.Consumer;

/// <summary>
/// One record as <see cref="IRecordVisitor"/> sees it: spans into the fetch response (or the decompressed batch),
/// valid only during <see cref="IRecordVisitor.OnRecord"/>.
/// </summary>
public readonly ref struct ConsumedRecord
{
    private readonly Record _record;

    internal ConsumedRecord(string topic, int partition, long offset, Timestamp timestamp, int leaderEpoch, Record record)
    {
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Timestamp = timestamp;
        LeaderEpoch = leaderEpoch;
        _record = record;
    }

    public string Topic { get; }

    public int Partition { get; }

    public long Offset { get; }

    public Timestamp Timestamp { get; }

    /// <summary>The leader epoch of the batch, or -1.</summary>
    public int LeaderEpoch { get; }

    public ReadOnlySpan<byte> Key => _record.Key;

    public bool IsKeyNull => _record.IsKeyNull;

    public ReadOnlySpan<byte> Value => _record.Value;

    public bool IsValueNull => _record.IsValueNull;

    public int HeaderCount => _record.HeaderCount;

    /// <summary>The headers in place: key and value spans per header.</summary>
    public RecordHeaderEnumerator Headers => _record.Headers;
}
