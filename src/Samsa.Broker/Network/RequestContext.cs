using System.Buffers;
using System.Net;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Network;

/// <summary>
/// One request as the handlers see it: header, version and the connection it came in on.
/// Buffers rented while building the response are returned once the response is written.
/// Not thread-safe: a request is handled by one task at a time.
/// </summary>
internal sealed class RequestContext
{
    private List<byte[]>? _rented;

    public RequestContext(RequestHeader header, string listenerName, EndPoint? localEndPoint, EndPoint? remoteEndPoint)
    {
        Header = header;
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

    /// <summary>Rents a buffer that lives until the response has been written.</summary>
    public byte[] RentResponseBuffer(int minimumLength)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(minimumLength);
        (_rented ??= new List<byte[]>()).Add(buffer);
        return buffer;
    }

    public void ReturnResponseBuffers()
    {
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
