namespace Samsa.Storage;

/// <summary>A timestamp and an offset: one time-index entry, or the answer of a lookup by timestamp.</summary>
public readonly record struct TimestampOffset(long Timestamp, long Offset);
