using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Client;

/// <summary>
/// One TCP connection to a broker: negotiates API versions on connect (ApiVersions v3, falling back to v0)
/// and sends one request at a time. Thread-safe (requests are serialized).
/// </summary>
public sealed class KafkaConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly string _clientId;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<ApiKey, (short Min, short Max)> _brokerVersions = new();
    private int _nextCorrelationId;

    private KafkaConnection(Socket socket, string clientId)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _clientId = clientId;
    }

    public string Host { get; private init; } = "";

    public int Port { get; private init; }

    public IReadOnlyDictionary<ApiKey, (short Min, short Max)> BrokerVersions => _brokerVersions;

    /// <summary>Connects to "host:port" and negotiates versions.</summary>
    public static async Task<KafkaConnection> ConnectAsync(string hostPort, string clientId = "samsa", CancellationToken cancellationToken = default)
    {
        var (host, port) = ParseHostPort(hostPort);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new KafkaException(ErrorCode.NetworkException, $"cannot connect to {host}:{port}: {e.Message}");
        }
        var connection = new KafkaConnection(socket, clientId) { Host = host, Port = port };
        await connection.NegotiateAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public static (string Host, int Port) ParseHostPort(string hostPort)
    {
        string first = hostPort.Split(',')[0].Trim();
        int colon = first.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(first.AsSpan(colon + 1), out int port) || port is <= 0 or > 65535)
        {
            throw new ArgumentException($"'{hostPort}' is not HOST:PORT");
        }
        return (first[..colon].Trim('[', ']'), port);
    }

    private async Task NegotiateAsync(CancellationToken cancellationToken)
    {
        var response = await SendAsync<ApiVersionsResponse>(
            new ApiVersionsRequest { ClientSoftwareName = "samsa-client", ClientSoftwareVersion = "0.1" }, 3, cancellationToken).ConfigureAwait(false);
        if (response.ErrorCode == (short)ErrorCode.UnsupportedVersion)
        {
            response = await SendAsync<ApiVersionsResponse>(new ApiVersionsRequest(), 0, cancellationToken).ConfigureAwait(false);
        }
        if (response.ErrorCode != 0)
        {
            throw new KafkaException((ErrorCode)response.ErrorCode, $"ApiVersions failed: {(ErrorCode)response.ErrorCode}");
        }
        foreach (var api in response.ApiKeys)
        {
            _brokerVersions[(ApiKey)api.ApiKey] = (api.MinVersion, api.MaxVersion);
        }
    }

    /// <summary>The highest version both sides speak, or throws when there is none.</summary>
    public short NegotiateVersion(ApiKey key, short ourMin, short ourMax)
    {
        if (!_brokerVersions.TryGetValue(key, out var broker))
        {
            throw new KafkaException(ErrorCode.UnsupportedVersion, $"the broker does not support {key}");
        }
        short version = Math.Min(ourMax, broker.Max);
        if (version < Math.Max(ourMin, broker.Min))
        {
            throw new KafkaException(ErrorCode.UnsupportedVersion, $"no common version of {key}: ours {ourMin}-{ourMax}, broker's {broker.Min}-{broker.Max}");
        }
        return version;
    }

    /// <summary>Sends a request and reads its response.</summary>
    public async Task<TResponse> SendAsync<TResponse>(IProtocolMessage request, short version, CancellationToken cancellationToken = default)
        where TResponse : IProtocolMessage, new()
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int correlationId = ++_nextCorrelationId;
            var key = request.Api;
            var header = new RequestHeader
            {
                RequestApiKey = (short)key,
                RequestApiVersion = version,
                CorrelationId = correlationId,
                ClientId = _clientId,
            };
            short headerVersion = ApiMessages.RequestHeaderVersion(key, version);
            int size = header.Size(headerVersion) + request.Size(version);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(4 + size);
            try
            {
                BinaryPrimitives.WriteInt32BigEndian(buffer, size);
                Serialize(buffer.AsSpan(4, size), header, headerVersion, request, version);
                await _stream.WriteAsync(buffer.AsMemory(0, 4 + size), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            byte[] prefix = new byte[4];
            await _stream.ReadExactlyAsync(prefix, cancellationToken).ConfigureAwait(false);
            int responseSize = BinaryPrimitives.ReadInt32BigEndian(prefix);
            if (responseSize < 4 || responseSize > 1024 * 1024 * 1024)
            {
                throw new KafkaException(ErrorCode.CorruptMessage, $"bad response size {responseSize}");
            }
            byte[] body = new byte[responseSize];
            await _stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
            return Parse<TResponse>(body, key, version, correlationId);
        }
        catch (IOException e)
        {
            throw new KafkaException(ErrorCode.NetworkException, $"connection to {Host}:{Port} failed: {e.Message}");
        }
        finally
        {
            _lock.Release();
        }
    }

    private static void Serialize(Span<byte> destination, RequestHeader header, short headerVersion, IProtocolMessage request, short version)
    {
        var writer = new ProtocolWriter(destination);
        header.Write(ref writer, headerVersion);
        request.Write(ref writer, version);
    }

    private static TResponse Parse<TResponse>(byte[] body, ApiKey key, short version, int correlationId)
        where TResponse : IProtocolMessage, new()
    {
        var reader = new ProtocolReader(body);
        short headerVersion = ApiMessages.ResponseHeaderVersion(key, version);
        int received = ResponseHeader.Read(ref reader, headerVersion);
        if (received != correlationId)
        {
            throw new KafkaException(ErrorCode.CorruptMessage, $"correlation id {received} does not match request {correlationId}");
        }
        var response = new TResponse();
        // An ApiVersions error answer comes back in v0 whatever was asked.
        short bodyVersion = key == ApiKey.ApiVersions && body.Length >= 6 && BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(4)) == (short)ErrorCode.UnsupportedVersion ? (short)0 : version;
        response.Read(ref reader, bodyVersion);
        return response;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _lock.Dispose();
    }
}
