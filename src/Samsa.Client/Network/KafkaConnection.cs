using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Client.Network;

/// <summary>
/// One TCP connection to a broker. Negotiates API versions on connect (ApiVersions v3, falling back to v0), then
/// pipelines requests: any number may be in flight, and since a broker answers in request order, a FIFO of
/// pending requests matches each response to its request (the correlation id is checked). A reader task completes
/// the pending requests; a request not answered within the request timeout closes the connection, failing every
/// pending request, as Kafka's clients do. Once failed, a connection stays failed (<see cref="IsAlive"/>): the
/// owner opens a new one. Thread-safe: concurrent senders are serialized around the socket write.
/// </summary>
public sealed class KafkaConnection : IAsyncDisposable
{
    private const int MaxResponseSize = 1024 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly string _clientId;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentQueue<PendingRequest> _pending = new();
    private readonly Dictionary<ApiKey, (short Min, short Max)> _brokerVersions = new();
    private readonly TimeSpan _requestTimeout;
    private readonly Timer _timeoutTimer;
    private readonly Lock _failLock = new();
    private int _nextCorrelationId;
    private volatile KafkaException? _failure;
    private Task _reader = Task.CompletedTask;

    private KafkaConnection(Socket socket, string clientId, TimeSpan requestTimeout)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _clientId = clientId;
        _requestTimeout = requestTimeout;
        var period = TimeSpan.FromMilliseconds(Math.Clamp(requestTimeout.TotalMilliseconds / 10, 10, 1000));
        _timeoutTimer = new Timer(static state => ((KafkaConnection)state!).CheckTimeouts(), this, period, period);
    }

    public string Host { get; private init; } = "";

    public int Port { get; private init; }

    /// <summary>False once the connection has failed or been closed.</summary>
    public bool IsAlive => _failure is null;

    /// <summary>Requests sent and not yet answered.</summary>
    public int InFlight => _pending.Count;

    public IReadOnlyDictionary<ApiKey, (short Min, short Max)> BrokerVersions => _brokerVersions;

    /// <summary>Connects to "host:port" (the first of a comma-separated list) and negotiates versions.</summary>
    public static Task<KafkaConnection> ConnectAsync(string hostPort, string clientId = "samsa", CancellationToken cancellationToken = default)
    {
        var (host, port) = ParseHostPort(hostPort);
        return ConnectAsync(host, port, clientId, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), cancellationToken);
    }

    public static async Task<KafkaConnection> ConnectAsync(string host, int port, string clientId, TimeSpan requestTimeout,
        TimeSpan connectTimeout, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var connectCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectCancel.CancelAfter(connectTimeout);
            await socket.ConnectAsync(host, port, connectCancel.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new KafkaException(ErrorCode.NetworkException, $"cannot connect to {host}:{port}: {(e is SocketException ? e.Message : "timed out")}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new KafkaConnection(socket, clientId, requestTimeout) { Host = host, Port = port };
        connection._reader = Task.Run(connection.ReadLoopAsync, CancellationToken.None);
        try
        {
            await connection.NegotiateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
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
        var request = new ApiVersionsRequest { ClientSoftwareName = "samsa-client", ClientSoftwareVersion = "0.1" };
        ApiVersionsResponse response;
        using (var frame = await SendForFrameAsync(request, 3, cancellationToken).ConfigureAwait(false))
        {
            // A broker without v3 answers UNSUPPORTED_VERSION, and not every broker's body then parses (librdkafka's mock
            // cluster sends neither a v0 nor a v3 body): read only the error code and ask again with v0.
            response = frame.ErrorCode == ErrorCode.UnsupportedVersion ? null! : frame.Parse<ApiVersionsResponse>();
        }
        response ??= await SendAsync<ApiVersionsResponse>(new ApiVersionsRequest(), 0, cancellationToken).ConfigureAwait(false);
        if (response.ErrorCode != 0)
        {
            throw new KafkaException((ErrorCode)response.ErrorCode, $"ApiVersions failed: {(ErrorCode)response.ErrorCode}");
        }
        foreach (var api in response.ApiKeys)
        {
            _brokerVersions[(ApiKey)api.ApiKey] = (api.MinVersion, api.MaxVersion);
        }
    }

    /// <summary>True when the broker speaks some version of <paramref name="key"/> in ours.</summary>
    public bool Supports(ApiKey key, short ourMin, short ourMax) =>
        _brokerVersions.TryGetValue(key, out var broker) && Math.Min(ourMax, broker.Max) >= Math.Max(ourMin, broker.Min);

    /// <summary>The highest version both sides speak, or throws when there is none.</summary>
    public short NegotiateVersion(ApiKey key, short ourMin, short ourMax)
    {
        if (!_brokerVersions.TryGetValue(key, out var broker))
        {
            throw new KafkaException(ErrorCode.UnsupportedVersion, $"the broker {Host}:{Port} does not support {key}");
        }
        short version = Math.Min(ourMax, broker.Max);
        if (version < Math.Max(ourMin, broker.Min))
        {
            throw new KafkaException(ErrorCode.UnsupportedVersion, $"no common version of {key}: ours {ourMin}-{ourMax}, broker's {broker.Min}-{broker.Max}");
        }
        return version;
    }

    /// <summary>
    /// Sends a request and parses its response. Records in the response (Fetch) stay valid: their buffer is left to
    /// the garbage collector instead of going back to the pool; <see cref="SendForFrameAsync"/> avoids that.
    /// </summary>
    public async Task<TResponse> SendAsync<TResponse>(IProtocolMessage request, short version, CancellationToken cancellationToken = default)
        where TResponse : IProtocolMessage, new()
    {
        var frame = await SendForFrameAsync(request, version, cancellationToken).ConfigureAwait(false);
        var response = frame.Parse<TResponse>();
        if (request.Api != ApiKey.Fetch)
        {
            frame.Dispose();
        }
        return response;
    }

    /// <summary>
    /// Sends a request and returns its response frame unparsed; the caller parses it and disposes it when nothing
    /// parsed from it (records) is used any more, which returns its buffer to the pool.
    /// </summary>
    public Task<ResponseFrame> SendForFrameAsync(IProtocolMessage request, short version, CancellationToken cancellationToken = default) =>
        SendCoreAsync(request, version, expectResponse: true, cancellationToken)!;

    /// <summary>Sends a request that gets no response (Produce with acks=0); completes once it is written.</summary>
    public Task SendWithoutResponseAsync(IProtocolMessage request, short version, CancellationToken cancellationToken = default) =>
        SendCoreAsync(request, version, expectResponse: false, cancellationToken);

    private async Task<ResponseFrame?> SendCoreAsync(IProtocolMessage request, short version, bool expectResponse, CancellationToken cancellationToken)
    {
        var key = request.Api;
        var header = new RequestHeader { RequestApiKey = (short)key, RequestApiVersion = version, ClientId = _clientId };
        short headerVersion = ApiMessages.RequestHeaderVersion(key, version);
        int size = header.Size(headerVersion) + request.Size(version);
        int serializedSize = size - SplicedBytes(request);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(4 + serializedSize);
        PendingRequest? pending = expectResponse ? new PendingRequest(key, version, Environment.TickCount64) : null;
        try
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ThrowIfFailed();
                header.CorrelationId = ++_nextCorrelationId;
                BinaryPrimitives.WriteInt32BigEndian(buffer, size);
                var splices = request.Api == ApiKey.Produce ? new List<RecordsSplice>() : null;
                Serialize(buffer.AsSpan(4, serializedSize), splices, header, headerVersion, request, version);
                if (pending is not null)
                {
                    pending.CorrelationId = header.CorrelationId;
                    _pending.Enqueue(pending);
                }
                if (splices is { Count: > 0 })
                {
                    int sent = await _socket.SendAsync(Gather(buffer, splices, 4 + serializedSize), SocketFlags.None).ConfigureAwait(false);
                    if (sent != 4 + size)
                    {
                        throw new IOException($"sent {sent} of {4 + size} bytes");
                    }
                }
                else
                {
                    await _stream.WriteAsync(buffer.AsMemory(0, 4 + serializedSize), CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (SocketException e)
            {
                Fail(new KafkaException(ErrorCode.NetworkException, $"connection to {Host}:{Port} failed: {e.Message}"));
            }
            catch (IOException e)
            {
                Fail(new KafkaException(ErrorCode.NetworkException, $"connection to {Host}:{Port} failed: {e.Message}"));
            }
            catch (ObjectDisposedException)
            {
                Fail(new KafkaException(ErrorCode.NetworkException, $"connection to {Host}:{Port} is closed"));
            }
            finally
            {
                _writeLock.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        ThrowIfFailed(pending);
        return pending is null ? null : await pending.Completion.Task.ConfigureAwait(false);
    }

    private void ThrowIfFailed(PendingRequest? pending = null)
    {
        if (_failure is { } failure && (pending is null || !pending.Completion.Task.IsCompleted))
        {
            throw new KafkaException(failure.Error, failure.Message);
        }
    }

    /// <summary>Bytes of a produce request's records that are written from their own arrays.</summary>
    private static int SplicedBytes(IProtocolMessage request)
    {
        int bytes = 0;
        if (request is ProduceRequest produce)
        {
            foreach (var topic in produce.TopicData)
            {
                foreach (var partition in topic.PartitionData)
                {
                    if (partition.Records is { } records && MemoryMarshal.TryGetMemoryManager(records, out ArrayRecords? _))
                    {
                        bytes += records.Length;
                    }
                }
            }
        }
        return bytes;
    }

    /// <summary>
    /// The request as segments: the serialized parts from <paramref name="buffer"/> with each spliced batch's own
    /// array in between, so produced records are not copied into the request.
    /// </summary>
    private static List<ArraySegment<byte>> Gather(byte[] buffer, List<RecordsSplice> splices, int serialized)
    {
        var segments = new List<ArraySegment<byte>>((splices.Count * 2) + 1);
        int written = 0;
        foreach (var splice in splices)
        {
            int position = 4 + splice.Position;
            segments.Add(new ArraySegment<byte>(buffer, written, position - written));
            var records = (ArrayRecords)splice.Records;
            segments.Add(records.Bytes.Slice(splice.Start, splice.Length));
            written = position;
        }
        segments.Add(new ArraySegment<byte>(buffer, written, serialized - written));
        return segments;
    }

    private static void Serialize(Span<byte> destination, List<RecordsSplice>? splices, RequestHeader header, short headerVersion, IProtocolMessage request, short version)
    {
        var writer = new ProtocolWriter(destination, splices);
        header.Write(ref writer, headerVersion);
        request.Write(ref writer, version);
    }

    private async Task ReadLoopAsync()
    {
        var input = new BufferedStream(_stream, 64 * 1024);
        byte[] prefix = new byte[4];
        try
        {
            while (true)
            {
                await input.ReadExactlyAsync(prefix).ConfigureAwait(false);
                int size = BinaryPrimitives.ReadInt32BigEndian(prefix);
                if (size < 4 || size > MaxResponseSize)
                {
                    throw new KafkaException(ErrorCode.CorruptMessage, $"bad response size {size} from {Host}:{Port}");
                }
                byte[] body = ArrayPool<byte>.Shared.Rent(size);
                await input.ReadExactlyAsync(body.AsMemory(0, size)).ConfigureAwait(false);
                if (!_pending.TryDequeue(out var pending))
                {
                    ArrayPool<byte>.Shared.Return(body);
                    throw new KafkaException(ErrorCode.CorruptMessage, $"a response from {Host}:{Port} answers no request");
                }
                int correlationId = BinaryPrimitives.ReadInt32BigEndian(body);
                if (correlationId != pending.CorrelationId)
                {
                    ArrayPool<byte>.Shared.Return(body);
                    throw new KafkaException(ErrorCode.CorruptMessage, $"correlation id {correlationId} from {Host}:{Port} does not match request {pending.CorrelationId}");
                }
                pending.Completion.TrySetResult(new ResponseFrame(body, size, pending.Api, pending.Version));
            }
        }
        catch (KafkaException e)
        {
            Fail(e);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or EndOfStreamException)
        {
            Fail(new KafkaException(ErrorCode.NetworkException, $"connection to {Host}:{Port} closed: {e.Message}"));
        }
    }

    private void CheckTimeouts()
    {
        if (_pending.TryPeek(out var oldest) && Environment.TickCount64 - oldest.SentAtMs > _requestTimeout.TotalMilliseconds)
        {
            Fail(new KafkaException(ErrorCode.RequestTimedOut, $"{oldest.Api} to {Host}:{Port} timed out after {_requestTimeout.TotalMilliseconds:0} ms"));
        }
    }

    /// <summary>Marks the connection failed, closes the socket and fails every pending request.</summary>
    private void Fail(KafkaException failure)
    {
        lock (_failLock)
        {
            _failure ??= failure;
        }
        _timeoutTimer.Dispose();
        _socket.Dispose();
        while (_pending.TryDequeue(out var pending))
        {
            pending.Completion.TrySetException(new KafkaException(_failure.Error, _failure.Message));
        }
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new KafkaException(ErrorCode.NetworkException, $"connection to {Host}:{Port} is closed"));
        await _reader.ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class PendingRequest(ApiKey api, short version, long sentAtMs)
    {
        public ApiKey Api { get; } = api;

        public short Version { get; } = version;

        public long SentAtMs { get; } = sentAtMs;

        public int CorrelationId { get; set; }

        public TaskCompletionSource<ResponseFrame> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
