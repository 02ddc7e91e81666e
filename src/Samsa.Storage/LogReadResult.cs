using Microsoft.Win32.SafeHandles;
using Samsa.Protocol;

namespace Samsa.Storage;

/// <summary>
/// The outcome of <see cref="PartitionLog.Read"/>: whole batches from one segment (possibly none) and the log's
/// offsets at the time of the read. When <see cref="Error"/> is not None, <see cref="Records"/> is empty.
/// </summary>
public readonly struct LogReadResult
{
    public LogReadResult(ErrorCode error, FileSlice records, long highWatermark, long logStartOffset, long logEndOffset)
    {
        Error = error;
        Records = records;
        HighWatermark = highWatermark;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
    }

    /// <summary>None, or OffsetOutOfRange when the fetch offset is outside [LogStartOffset, LogEndOffset].</summary>
    public ErrorCode Error { get; }

    public FileSlice Records { get; }

    public long HighWatermark { get; }

    public long LogStartOffset { get; }

    public long LogEndOffset { get; }

    /// <summary>The segment file holding the records, or null when there are none.</summary>
    public SafeFileHandle? FileHandle => Records.Handle;

    public long FilePosition => Records.Position;

    /// <summary>Bytes of records: whole batches.</summary>
    public int Length => Records.Length;

    /// <summary>Copies the records into <paramref name="destination"/> with positional reads; returns the bytes copied.</summary>
    public int CopyTo(Span<byte> destination) => Records.CopyTo(destination);
}
