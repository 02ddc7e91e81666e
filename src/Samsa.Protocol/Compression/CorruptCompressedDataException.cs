namespace Samsa.Protocol.Compression;

/// <summary>Compressed bytes that the codec cannot decode: a bad frame, a bad block, a truncated stream.</summary>
public sealed class CorruptCompressedDataException : Exception
{
    public CorruptCompressedDataException()
    {
    }

    public CorruptCompressedDataException(string message)
        : base(message)
    {
    }

    public CorruptCompressedDataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
