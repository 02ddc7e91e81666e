namespace Samsa.Protocol.Records;

/// <summary>
/// Applies <see cref="RecordValidationPolicy"/> to the records of one batch as they are read, as Kafka's LogValidator
/// does per record: offset deltas must run 0..n-1 (Samsa is stricter than Kafka here and never renumbers); a compacted
/// topic needs keys (INVALID_RECORD); a CreateTime timestamp other than -1 must lie within the bounds, and a producer
/// may not mark its batch LogAppendTime (INVALID_TIMESTAMP, which wins over INVALID_RECORD when both occur, as in
/// Kafka). Tracks the count and the largest timestamp. A mutable struct: keep it in a local.
/// </summary>
internal struct RecordChecks
{
    private readonly RecordValidationPolicy _policy;
    private readonly long _baseTimestamp;
    private readonly bool _batchClaimsLogAppendTime;

    public RecordChecks(in RecordValidationPolicy policy, in RecordBatchHeader header)
    {
        _policy = policy;
        _baseTimestamp = header.BaseTimestamp;
        _batchClaimsLogAppendTime = header.TimestampType == TimestampType.LogAppendTime;
        MaxTimestamp = -1;
    }

    public int Count { get; private set; }

    public long MaxTimestamp { get; private set; }

    public string? KeyError { get; private set; }

    public string? TimestampError { get; private set; }

    /// <summary>Checks one record; false when its offset delta is out of sequence (the batch is then INVALID_RECORD at once).</summary>
    public bool Add(int offsetDelta, long timestampDelta, bool isKeyNull)
    {
        if (offsetDelta != Count)
        {
            return false;
        }

        long timestamp = _baseTimestamp + timestampDelta;
        if (timestamp > MaxTimestamp)
        {
            MaxTimestamp = timestamp;
        }

        if (_policy.RequireKeys && isKeyNull)
        {
            KeyError ??= $"Compacted topic cannot accept a record without a key (record {Count}).";
        }
        else if (_policy.TimestampType == TimestampType.CreateTime && timestamp != -1)
        {
            if (IsOutOfBounds(timestamp))
            {
                TimestampError ??= $"Timestamp {timestamp} of record {Count} is out of range [{Bound(-_policy.TimestampBeforeMaxMs)}, {Bound(_policy.TimestampAfterMaxMs)}].";
            }
        }
        else if (_batchClaimsLogAppendTime)
        {
            TimestampError ??= "A producer may not set the timestamp type to LogAppendTime.";
        }

        Count++;
        return true;
    }

    private readonly bool IsOutOfBounds(long timestamp)
    {
        Int128 now = _policy.Now;
        return now - timestamp > _policy.TimestampBeforeMaxMs || timestamp - now > _policy.TimestampAfterMaxMs;
    }

    private readonly string Bound(long offset) => ((Int128)_policy.Now + offset).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
