namespace Samsa.Storage;

/// <summary>
/// An operation on a log whose log dir is offline after an I/O error (Kafka's KafkaStorageException): the broker
/// answers KAFKA_STORAGE_ERROR. Derives from <see cref="IOException"/> so callers that handle disk errors handle it.
/// </summary>
public sealed class LogDirOfflineException : IOException
{
    public LogDirOfflineException()
    {
    }

    public LogDirOfflineException(string message)
        : base(message)
    {
    }

    public LogDirOfflineException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
