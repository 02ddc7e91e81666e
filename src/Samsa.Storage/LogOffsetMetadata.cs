namespace Samsa.Storage;

/// <summary>
/// An offset together with the segment and file position where it starts, published as one immutable object so
/// readers see the offset and the position consistently (the log end and the high watermark).
/// </summary>
internal sealed class LogOffsetMetadata
{
    public LogOffsetMetadata(long offset, LogSegment segment, long position)
    {
        Offset = offset;
        Segment = segment;
        Position = position;
    }

    public long Offset { get; }

    public LogSegment Segment { get; }

    /// <summary>Position in <see cref="Segment"/> of the first byte at or after <see cref="Offset"/>: a batch boundary.</summary>
    public long Position { get; }
}
