using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Infrastructure;

/// <summary>A bare socket to the broker: send exact bytes, or typed requests, and read framed responses.</summary>
internal sealed class RawConnection : IDisposable
{
    private readonly Socket _socket;
    private int _correlationId;

    private RawConnection(Socket socket) => _socket = socket;

    public static async Task<RawConnection> ConnectAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return new RawConnection(socket);
    }

    public async Task SendRawAsync(byte[] bytes) => await _socket.SendAsync(bytes);

    /// <summary>Encodes a request with the header version its API and version call for.</summary>
    public static byte[] Encode(IProtocolMessage request, short version, int correlationId, string? clientId = "raw-test")
    {
        var header = new RequestHeader
        {
            RequestApiKey = (short)request.Api,
            RequestApiVersion = version,
            CorrelationId = correlationId,
            ClientId = clientId,
        };
        short headerVersion = ApiMessages.RequestHeaderVersion(request.Api, version);
        int size = header.Size(headerVersion) + request.Size(version);
        var bytes = new byte[4 + size];
        BinaryPrimitives.WriteInt32BigEndian(bytes, size);
        Write(bytes.AsSpan(4), header, headerVersion, request, version);
        return bytes;
    }

    private static void Write(Span<byte> span, RequestHeader header, short headerVersion, IProtocolMessage request, short version)
    {
        var writer = new ProtocolWriter(span);
        header.Write(ref writer, headerVersion);
        request.Write(ref writer, version);
    }

    public int NextCorrelationId() => Interlocked.Increment(ref _correlationId);

    public async Task<TResponse> SendAsync<TResponse>(IProtocolMessage request, short version)
        where TResponse : IProtocolMessage, new()
    {
        int correlationId = NextCorrelationId();
        await SendRawAsync(Encode(request, version, correlationId));
        var (received, body) = await ReceiveAsync(ApiMessages.ResponseHeaderVersion(request.Api, version));
        Assert.Equal(correlationId, received);
        return Decode<TResponse>(body, version);
    }

    public static TResponse Decode<TResponse>(byte[] body, short version)
        where TResponse : IProtocolMessage, new()
    {
        var reader = new ProtocolReader(body);
        var response = new TResponse();
        response.Read(ref reader, version);
        Assert.Equal(0, reader.Remaining);
        return response;
    }

    /// <summary>Reads one response frame; returns its correlation id and the body after the header.</summary>
    public async Task<(int CorrelationId, byte[] Body)> ReceiveAsync(short headerVersion, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var prefix = new byte[4];
        await ReadExactlyAsync(prefix, cts.Token);
        int size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        var frame = new byte[size];
        await ReadExactlyAsync(frame, cts.Token);
        int headerSize = headerVersion >= 1 ? 5 : 4;
        return (BinaryPrimitives.ReadInt32BigEndian(frame), frame[headerSize..]);
    }

    /// <summary>True when the broker closes the connection (EOF or reset) within the timeout.</summary>
    public async Task<bool> IsClosedByPeerAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new IOException("connection closed by the broker");
            }
            read += n;
        }
    }

    public void Dispose() => _socket.Dispose();
}
