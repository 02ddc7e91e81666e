namespace Samsa.Protocol.Records;

/// <summary>Thrown when the bytes of a record or record batch are malformed (lengths that run past the end, bad varints, ...).</summary>
public sealed class InvalidRecordException : Exception
{
    public InvalidRecordException()
    {
    }

    public InvalidRecordException(string message)
        : base(message)
    {
    }

    public InvalidRecordException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
