namespace Samsa.Storage;

/// <summary>An offset and the file position of the batch that starts there: one offset-index entry.</summary>
public readonly record struct OffsetPosition(long Offset, int Position);
