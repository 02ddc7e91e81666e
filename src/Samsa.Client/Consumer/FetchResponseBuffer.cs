namespace Samsa.Client.Consumer;

/// <summary>
/// A fetch response's pooled frame (a <see cref="Network.ResponseFrame"/>), shared by the <see cref="CompletedFetch"/>es that point into it and returned to
/// the pool when the last one is done. Counts toward its broker's buffered responses until then. Thread-safe.
/// </summary>
internal sealed class FetchResponseBuffer(IDisposable frame, Action<FetchResponseBuffer> onReleased, Fetcher.BrokerFetchState broker)
{
    private int _references = 1;

    public Fetcher.BrokerFetchState Broker { get; } = broker;

    public void AddReference() => Interlocked.Increment(ref _references);

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            frame.Dispose();
            onReleased(this);
        }
    }
}
