using Samsa.Protocol;

namespace Samsa.Storage;

/// <summary>The outcome of <see cref="PartitionLog.Append"/>: the offsets the appended records received.</summary>
/// <param name="FirstOffset">Offset of the first appended record.</param>
/// <param name="LastOffset">Offset of the last appended record (FirstOffset - 1 when nothing was appended).</param>
/// <param name="RecordCount">Records appended, from the batches' RecordsCount.</param>
/// <param name="LogStartOffset">The log start offset after the append.</param>
/// <param name="Error">A producer-state check that refused the append (nothing was written); NONE otherwise.</param>
/// <param name="IsDuplicate">The batch was a producer's retry of one already in the log: the offsets are the original ones and nothing was written.</param>
public readonly record struct LogAppendResult(long FirstOffset, long LastOffset, int RecordCount, long LogStartOffset,
    ErrorCode Error = ErrorCode.None, bool IsDuplicate = false);
