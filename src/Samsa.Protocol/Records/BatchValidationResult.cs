using Samsa.Protocol;

namespace Samsa.Protocol.Records;

/// <summary>
/// The outcome of <see cref="BatchValidator.ValidateProduceBatch"/>: the Kafka error code (None when valid), the
/// records' count and largest timestamp, the size of the uncompressed records, and for a rejection a short reason for
/// the operator's log line.
/// </summary>
public readonly record struct BatchValidationResult(
    ErrorCode Error,
    int RecordCount,
    long MaxTimestamp,
    long UncompressedRecordsBytes,
    string? Reason)
{
    public bool IsValid => Error == ErrorCode.None;

    internal static BatchValidationResult Fail(ErrorCode error, string reason) => new(error, 0, -1, 0, reason);
}
