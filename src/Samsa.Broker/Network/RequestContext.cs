using System.Buffers;
using System.Net;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Network;

/// <summary>
/// One request as the handlers see it: header, version and the connection it came in on.
/// Buffers rented while building the response are returned once the response is written.
/// Not thread-safe: a request is handled by one task at a time.
/// </summary>
internal sealed class RequestContext
{
    private List<byte[]>? _rented;

    public RequestContext(RequestHeader header, string listenerName, EndPoint? localEndPoint, EndPoint? remoteEndPoint,
        bool zeroCopy = false)
    {
        Header = header;
        ZeroCopy = zeroCopy;
        ListenerName = listenerName;
        LocalEndPoint = localEndPoint;
        RemoteEndPoint = remoteEndPoint;
    }

    public RequestHeader Header { get; }

    public ApiKey ApiKey => Header.ApiKey;

    public short ApiVersion => Header.RequestApiVersion;

    public string ListenerName { get; }

    public EndPoint? LocalEndPoint { get; }

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The client's address as Kafka reports it in group descriptions ("/127.0.0.1").</summary>
    public string ClientHost => RemoteEndPoint is IPEndPoint ip ? "/" + ip.Address : "/unknown";

    /// <summary>Set by a handler when the connection must be closed after this request (acks=0 produce errors, as in Kafka).</summary>
    public bool CloseConnection { get; set; }

    /// <summary>True when the connection sends records straight from segment files (plaintext, zero copy enabled).</summary>
    public bool ZeroCopy { get; }

    /// <summary>Bytes of records the response carries as <see cref="FileSliceRecords"/>, which the connection sends itself.</summary>
    public int SplicedBytes { get; private set; }

    /// <summary>
    /// The records of <paramref name="slice"/> for a response field: sent from the file when <see cref="ZeroCopy"/>,
    /// otherwise copied into a buffer that lives until the response has been written.
    /// </summary>
    public ReadOnlyMemory<byte> ResponseRecords(FileSlice slice)
    {
        if (slice.IsEmpty)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        if (ZeroCopy && slice.Handle is { IsAsync: true })
        {
            SplicedBytes += slice.Length;
            return new FileSliceRecords(slice).Memory;
        }
        var buffer = RentResponseBuffer(slice.Length);
        int copied = slice.CopyTo(buffer);
        return buffer.AsMemory(0, copied);
    }

    /// <summary>Rents a buffer that lives until the response has been written.</summary>
    public byte[] RentResponseBuffer(int minimumLength)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(minimumLength);
        (_rented ??= new List<byte[]>()).Add(buffer);
        return buffer;
    }

    /// <summary>Returns the rented buffers and forgets the spliced records: the response is written or being rebuilt.</summary>
    public void ReturnResponseBuffers()
    {
        SplicedBytes = 0;
        if (_rented is null)
        {
            return;
        }
        foreach (var buffer in _rented)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        _rented.Clear();
    }
}
