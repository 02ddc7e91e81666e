namespace Samsa.Interop.Tests.Clients;

/// <summary>How a group member commits the offsets of the records it consumed.</summary>
public enum GroupCommitMode
{
    /// <summary>The client's own auto-commit (enable.auto.commit, every auto.commit.interval.ms and on close).</summary>
    Auto,

    /// <summary>A synchronous commit of offset+1 after each record, before the next one is read.</summary>
    PerRecord,

    /// <summary>A synchronous commit of each partition's next offset after each batch the client hands out.</summary>
    PerBatch,

    /// <summary>No commits at all.</summary>
    None,
}
