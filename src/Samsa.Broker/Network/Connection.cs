using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Network;

/// <summary>
/// One client connection: reads size-prefixed frames, handles requests one after another in arrival
/// order (so responses leave in request order and appends from one producer stay ordered) while the
/// client may pipeline as many requests as it likes. A malformed frame closes only this connection.
/// Not thread-safe: one read loop owns it; <see cref="Abort"/> may be called from anywhere.
/// </summary>
internal sealed partial class Connection : IDisposable
{
    /// <summary>Smallest legal request: api key, version and correlation id.</summary>
    private const int MinimumRequestSize = 8;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly string _listenerName;
    private readonly int _maxRequestSize;
    private readonly RequestDispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly bool _zeroCopy;
    private readonly NetworkCounters? _counters;
    private readonly List<RecordsSplice> _splices = new();
    private SpliceSender? _spliceSender;

    /// <summary>
    /// A request of this size range that is not yet whole is read straight into its frame buffer. Above the range it
    /// goes through the pipe, which holds only what has arrived: a client announcing a huge request and sending
    /// nothing then costs no more than what it sent.
    /// </summary>
    private const int DirectReadFrameSize = 64 * 1024;

    private const int MaxDirectReadFrameSize = 8 * 1024 * 1024;

    /// <summary>Produces answered only once group commit's fsync covers them, at most this many per connection.</summary>
    private const int MaxInFlightProduces = 16;

    /// <summary>Produces whose records are appended and whose answers wait for an fsync, oldest first.</summary>
    private readonly Queue<InFlightRequest> _inFlight = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _busy;
    private long _lastActivityTicks = Environment.TickCount64;

    public Connection(long id, Socket socket, string listenerName, int maxRequestSize, RequestDispatcher dispatcher, ILogger logger,
        bool zeroCopy = false, NetworkCounters? counters = null)
    {
        _zeroCopy = zeroCopy;
        _counters = counters;
        Id = id;
        _socket = socket;
        _listenerName = listenerName;
        _maxRequestSize = maxRequestSize;
        _dispatcher = dispatcher;
        _logger = logger;
        RemoteEndPoint = socket.RemoteEndPoint;
        LocalEndPoint = socket.LocalEndPoint;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        _output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
    }

    public long Id { get; }

    public EndPoint? RemoteEndPoint { get; }

    public EndPoint? LocalEndPoint { get; }

    public bool IsBusy => _busy;

    public long LastActivityTicks => Interlocked.Read(ref _lastActivityTicks);

    /// <summary>Completes when the connection has closed.</summary>
    public Task Completion => _completion.Task;

    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                WakeReaderWhenOldestCompletes();
                ReadResult result;
                try
                {
                    result = await _input.ReadAsync(stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                Interlocked.Exchange(ref _lastActivityTicks, Environment.TickCount64);
                var buffer = result.Buffer;
                bool keepOpen = true;
                bool advanced = false;
                while (keepOpen && TryGetFrameSize(buffer, out int size))
                {
                    if (size < MinimumRequestSize || size > _maxRequestSize)
                    {
                        LogBadFrameSize(_logger, RemoteEndPoint?.ToString(), size, _maxRequestSize);
                        keepOpen = false;
                        break;
                    }
                    byte[] frame;
                    if (buffer.Length < 4L + size)
                    {
                        if (size < DirectReadFrameSize || size > MaxDirectReadFrameSize)
                        {
                            break;
                        }
                        // A large request (a producer's batches): read the rest straight from the socket into the
                        // frame, one copy instead of two. The pipe holds nothing else: this frame is all it buffered.
                        frame = ArrayPool<byte>.Shared.Rent(size);
                        int buffered = (int)(buffer.Length - 4);
                        buffer.Slice(4).CopyTo(frame);
                        _input.AdvanceTo(buffer.End);
                        advanced = true;
                        try
                        {
                            await _stream.ReadExactlyAsync(frame.AsMemory(buffered, size - buffered), stopping).ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is OperationCanceledException or EndOfStreamException)
                        {
                            ArrayPool<byte>.Shared.Return(frame);
                            keepOpen = false;
                            break;
                        }
                        buffer = default;
                    }
                    else
                    {
                        frame = ArrayPool<byte>.Shared.Rent(size);
                        buffer.Slice(4, size).CopyTo(frame);
                        buffer = buffer.Slice(4 + size);
                    }
                    _busy = true;
                    keepOpen = await ProcessAsync(frame, size).ConfigureAwait(false);
                    _busy = _inFlight.Count > 0;
                    Interlocked.Exchange(ref _lastActivityTicks, Environment.TickCount64);
                    if (keepOpen && !HasCompleteFrame(buffer))
                    {
                        await _output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                }
                if (keepOpen && await WriteCompletedAsync().ConfigureAwait(false))
                {
                    await _output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
                _busy = _inFlight.Count > 0;
                if (!advanced)
                {
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }
                if (!keepOpen || (result.IsCompleted && !advanced))
                {
                    break;
                }
            }
            await DrainAsync().ConfigureAwait(false);
            await _output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            LogConnectionError(_logger, RemoteEndPoint?.ToString(), e.Message);
        }
        finally
        {
            await CloseAsync().ConfigureAwait(false);
        }
    }

    private static bool TryGetFrameSize(in ReadOnlySequence<byte> buffer, out int size)
    {
        if (buffer.Length < 4)
        {
            size = 0;
            return false;
        }
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        return true;
    }

    private static bool HasCompleteFrame(in ReadOnlySequence<byte> buffer) =>
        TryGetFrameSize(buffer, out int size) && (size < 0 || buffer.Length >= 4L + size);

    /// <summary>
    /// Parses and dispatches one request (the frame is returned to the pool once it is answered); false means close
    /// the connection. A produce whose records are appended but whose answer waits for group commit's fsync joins
    /// <see cref="_inFlight"/> and the next request is read meanwhile, so one producer's pipelined requests share
    /// fsyncs; every other request first waits for the answers before it, so responses leave in request order.
    /// </summary>
    private async ValueTask<bool> ProcessAsync(byte[] frame, int size)
    {
        var request = Dispatch(frame, size);
        if (request is null)
        {
            ArrayPool<byte>.Shared.Return(frame);
            return false;
        }
        if (request.Header.ApiKey == ApiKey.Produce && !request.Response.IsCompleted && _inFlight.Count < MaxInFlightProduces)
        {
            _inFlight.Enqueue(request);
            return true;
        }
        if (!await DrainAsync().ConfigureAwait(false))
        {
            await FinishAsync(request, write: false).ConfigureAwait(false);
            return false;
        }
        return await FinishAsync(request, write: true).ConfigureAwait(false);
    }

    /// <summary>Parses the frame and starts its handler; null means close the connection (already logged).</summary>
    private InFlightRequest? Dispatch(byte[] frame, int size)
    {
        var header = new RequestHeader();
        IProtocolMessage request;
        try
        {
            var reader = new ProtocolReader(frame.AsMemory(0, size));
            header.ReadFixed(ref reader);
            var key = header.ApiKey;
            if (!SupportedApis.IsKnown(key))
            {
                LogUnknownApi(_logger, RemoteEndPoint?.ToString(), header.RequestApiKey);
                return null;
            }
            if (!SupportedApis.IsAdvertised(key, header.RequestApiVersion))
            {
                if (key == ApiKey.ApiVersions)
                {
                    // Answer in v0 so that any client can read which versions we do speak.
                    var context0 = new RequestContext(header, _listenerName, LocalEndPoint, RemoteEndPoint);
                    return new InFlightRequest(header, 0, context0, frame,
                        new ValueTask<IProtocolMessage?>(_dispatcher.UnsupportedApiVersionsResponse()));
                }
                LogUnsupportedVersion(_logger, RemoteEndPoint?.ToString(), key, header.RequestApiVersion);
                return null;
            }
            header.ReadRest(ref reader, ApiMessages.RequestHeaderVersion(key, header.RequestApiVersion));
            request = ApiMessages.CreateRequest(key)!;
            request.Read(ref reader, header.RequestApiVersion);
        }
        catch (ProtocolException e)
        {
            LogMalformed(_logger, RemoteEndPoint?.ToString(), header.RequestApiKey, header.RequestApiVersion, e.Message);
            return null;
        }

        var context = new RequestContext(header, _listenerName, LocalEndPoint, RemoteEndPoint, _zeroCopy);
        ValueTask<IProtocolMessage?> response;
        try
        {
            response = _dispatcher.DispatchAsync(context, request);
        }
        catch (Exception e) when (e is not (IOException or SocketException or ObjectDisposedException))
        {
            response = ValueTask.FromException<IProtocolMessage?>(e);
        }
        return new InFlightRequest(header, header.RequestApiVersion, context, frame, response);
    }

    /// <summary>
    /// Awaits the request's handler and writes its response (unless <paramref name="write"/> is false), then returns its
    /// buffers and frame. False means close the connection.
    /// </summary>
    private async ValueTask<bool> FinishAsync(InFlightRequest request, bool write)
    {
        var header = request.Header;
        try
        {
            if (!request.Response.IsCompleted)
            {
                // The handler waits (a long-poll fetch, a flush): send what is already answered first.
                await _output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            var response = await request.Response.ConfigureAwait(false);
            if (!write)
            {
                return false;
            }
            if (response is not null && request.Context.SplicedBytes > 0)
            {
                await WriteSplicedResponseAsync(header.CorrelationId, header.ApiKey, request.Version, response, request.Context.SplicedBytes)
                    .ConfigureAwait(false);
            }
            else if (response is not null)
            {
                WriteResponse(header.CorrelationId, header.ApiKey, request.Version, response);
            }
            return !request.Context.CloseConnection;
        }
        catch (Exception e) when (e is not (IOException or SocketException or ObjectDisposedException))
        {
            LogHandlerFailed(_logger, e, header.ApiKey, header.RequestApiVersion, RemoteEndPoint?.ToString());
            return false;
        }
        finally
        {
            request.Context.ReturnResponseBuffers();
            ArrayPool<byte>.Shared.Return(request.Frame);
        }
    }

    /// <summary>Answers every in-flight produce in order; false when one of them closes the connection.</summary>
    private async ValueTask<bool> DrainAsync()
    {
        bool keepOpen = true;
        while (_inFlight.TryDequeue(out var request))
        {
            keepOpen = await FinishAsync(request, keepOpen).ConfigureAwait(false) && keepOpen;
        }
        return keepOpen;
    }

    /// <summary>Writes the answers of in-flight produces whose fsync is done, oldest first; true when it wrote any.</summary>
    private async ValueTask<bool> WriteCompletedAsync()
    {
        bool wrote = false;
        while (_inFlight.TryPeek(out var request) && request.Response.IsCompleted)
        {
            _inFlight.Dequeue();
            wrote = true;
            if (!await FinishAsync(request, write: true).ConfigureAwait(false))
            {
                await DrainAsync().ConfigureAwait(false);
                throw new IOException("A produce failed; closing the connection.");
            }
        }
        return wrote;
    }

    /// <summary>
    /// While produces wait for their fsync, the loop waits for input: have the oldest one's completion interrupt that
    /// wait so its answer leaves as soon as it can.
    /// </summary>
    private void WakeReaderWhenOldestCompletes()
    {
        if (_inFlight.TryPeek(out var oldest) && !oldest.WakeRegistered)
        {
            // A ValueTask may be awaited once: keep the Task it becomes for the final await.
            Task<IProtocolMessage?> response = oldest.Response.AsTask();
            oldest.Response = new ValueTask<IProtocolMessage?>(response);
            oldest.WakeRegistered = true;
            response.ContinueWith(
                static (_, state) => ((Connection)state!).CancelPendingRead(), this,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private void CancelPendingRead()
    {
        try
        {
            _input.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
            // The reader completed: the connection is closing.
        }
    }

    private void WriteResponse(int correlationId, ApiKey key, short version, IProtocolMessage response)
    {
        short headerVersion = ApiMessages.ResponseHeaderVersion(key, version);
        int size = ResponseHeader.Size(headerVersion) + response.Size(version);
        var span = _output.GetSpan(4 + size);
        BinaryPrimitives.WriteInt32BigEndian(span, size);
        var writer = new ProtocolWriter(span.Slice(4, size));
        ResponseHeader.Write(ref writer, correlationId, headerVersion);
        response.Write(ref writer, version);
        if (writer.Position != size)
        {
            throw new InvalidOperationException($"{key} v{version} response wrote {writer.Position} bytes, sized {size}");
        }
        _output.Advance(4 + size);
    }

    /// <summary>
    /// Writes a response whose records partly live in segment files: serializes everything else into one pooled
    /// buffer (the writer leaves gaps where the records go), sends what is queued in the pipe first to keep responses
    /// in order, then hands the socket the buffer pieces and file ranges in turn. The runtime sends the file ranges
    /// with sendfile(2) and waits for room in the socket buffer asynchronously, so a slow reader blocks nobody else.
    /// </summary>
    private async ValueTask WriteSplicedResponseAsync(int correlationId, ApiKey key, short version, IProtocolMessage response, int splicedBytes)
    {
        short headerVersion = ApiMessages.ResponseHeaderVersion(key, version);
        int size = ResponseHeader.Size(headerVersion) + response.Size(version);
        int inlineSize = 4 + size - splicedBytes;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(inlineSize);
        try
        {
            _splices.Clear();
            BinaryPrimitives.WriteInt32BigEndian(buffer, size);
            var writer = new ProtocolWriter(buffer.AsSpan(4, inlineSize - 4), _splices);
            ResponseHeader.Write(ref writer, correlationId, headerVersion);
            response.Write(ref writer, version);
            if (writer.Position != inlineSize - 4)
            {
                throw new InvalidOperationException($"{key} v{version} response wrote {writer.Position} inline bytes, sized {inlineSize - 4}");
            }
            await _output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            _spliceSender ??= new SpliceSender(_socket);
            _counters?.AddZeroCopyResponse(splicedBytes);
            await _spliceSender.SendAsync(buffer, inlineSize, _splices).ConfigureAwait(false);
        }
        finally
        {
            _splices.Clear();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Closes the socket from outside the read loop (idle timeout, forced shutdown).</summary>
    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
        _socket.Close();
    }

    /// <summary>
    /// Sends FIN after the last response, then discards what the client still sends for a moment:
    /// closing a socket with unread input resets the connection, and a reset can destroy responses
    /// the client has not read yet.
    /// </summary>
    private async Task CloseAsync()
    {
        _input.Complete();
        _output.Complete();
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            byte[] scratch = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                while (await _socket.ReceiveAsync(scratch, SocketFlags.None, drain.Token).ConfigureAwait(false) > 0)
                {
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer is gone or lingers: close regardless.
        }
        _socket.Close();
        _completion.TrySetResult();
    }

    public void Dispose()
    {
        _spliceSender?.Dispose();
        _stream.Dispose();
        _socket.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing connection from {Remote}: request size {Size} is outside [8, {Max}] (socket.request.max.bytes)")]
    private static partial void LogBadFrameSize(ILogger logger, string? remote, int size, int max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing connection from {Remote}: unknown API key {ApiKey}")]
    private static partial void LogUnknownApi(ILogger logger, string? remote, short apiKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing connection from {Remote}: {ApiKey} v{Version} is not a supported version")]
    private static partial void LogUnsupportedVersion(ILogger logger, string? remote, ApiKey apiKey, short version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing connection from {Remote}: malformed request (api key {ApiKey} v{Version}): {Reason}")]
    private static partial void LogMalformed(ILogger logger, string? remote, short apiKey, short version, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling {ApiKey} v{Version} from {Remote} failed; closing the connection")]
    private static partial void LogHandlerFailed(ILogger logger, Exception e, ApiKey apiKey, short version, string? remote);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection from {Remote} ended: {Reason}")]
    private static partial void LogConnectionError(ILogger logger, string? remote, string reason);

    /// <summary>A dispatched request until its response is written: the frame its message was read from stays rented.</summary>
    private sealed class InFlightRequest(RequestHeader header, short version, RequestContext context, byte[] frame, ValueTask<IProtocolMessage?> response)
    {
        public RequestHeader Header { get; } = header;

        /// <summary>The version the response is written in (v0 for an ApiVersions request of an unknown version).</summary>
        public short Version { get; } = version;

        public RequestContext Context { get; } = context;

        public byte[] Frame { get; } = frame;

        public ValueTask<IProtocolMessage?> Response { get; set; } = response;

        public bool WakeRegistered { get; set; }
    }
}
