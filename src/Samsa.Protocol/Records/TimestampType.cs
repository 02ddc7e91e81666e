namespace Samsa.Protocol.Records;

/// <summary>Bit 3 of a record batch's attributes: who set the timestamps.</summary>
public enum TimestampType : byte
{
    /// <summary>The producer set each record's timestamp.</summary>
    CreateTime = 0,

    /// <summary>The broker stamped the batch's MaxTimestamp when it appended it; consumers use that for every record.</summary>
    LogAppendTime = 1,
}
