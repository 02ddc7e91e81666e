namespace Samsa.Broker.Network;

/// <summary>Counters the socket server's connections add to. Thread-safe.</summary>
internal sealed class NetworkCounters
{
    private long _zeroCopyBytes;
    private long _zeroCopyResponses;

    /// <summary>Record bytes sent from segment files with sendfile(2) rather than copied through memory.</summary>
    public long ZeroCopyBytes => Interlocked.Read(ref _zeroCopyBytes);

    /// <summary>Responses that carried records sent from segment files.</summary>
    public long ZeroCopyResponses => Interlocked.Read(ref _zeroCopyResponses);

    public void AddZeroCopyResponse(int bytes)
    {
        Interlocked.Add(ref _zeroCopyBytes, bytes);
        Interlocked.Increment(ref _zeroCopyResponses);
    }
}
