namespace Samsa.Interop.Tests.Model;

/// <summary>
/// A record as a consumer saw it. <see cref="TimestampType"/> is "create",
/// "log_append", "none" or null when the client does not expose it.
/// </summary>
public sealed record ConsumedRecord(
    int Partition,
    long Offset,
    string? Key,
    string? Value,
    IReadOnlyList<Header> Headers,
    long Timestamp,
    string? TimestampType);
