using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Config;

namespace Samsa.Broker.Network;

/// <summary>
/// Accepts connections on every configured listener and runs one <see cref="Connection"/> per socket.
/// Closes idle connections after connections.max.idle.ms. Thread-safe.
/// </summary>
internal sealed partial class SocketServer : IAsyncDisposable
{
    private readonly BrokerConfig _config;
    private readonly RequestDispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly List<(ListenerEndpoint Listener, Socket Socket)> _listeners = new();
    private readonly ConcurrentDictionary<long, Connection> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _acceptLoops = new();
    private Timer? _idleSweep;
    private long _nextConnectionId;

    public SocketServer(BrokerConfig config, RequestDispatcher dispatcher, ILogger logger)
    {
        _config = config;
        _dispatcher = dispatcher;
        _logger = logger;
    }

    /// <summary>The bound address of each listener, in configuration order (ports resolved when 0 was asked).</summary>
    public IReadOnlyList<(string Name, IPEndPoint EndPoint)> BoundEndpoints { get; private set; } = [];

    public int ConnectionCount => _connections.Count;

    public NetworkCounters Counters { get; } = new();

    public void Start()
    {
        foreach (var listener in _config.Listeners)
        {
            var endPoint = new IPEndPoint(ResolveBindAddress(listener.Host), listener.Port);
            var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(endPoint);
                socket.Listen(512);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw new InvalidOperationException($"cannot listen on {listener.Name}://{listener.Host}:{listener.Port}: {e.Message}", e);
            }
            _listeners.Add((listener, socket));
        }
        BoundEndpoints = _listeners.Select(l => (l.Listener.Name, (IPEndPoint)l.Socket.LocalEndPoint!)).ToList();
        foreach (var (listener, socket) in _listeners)
        {
            _acceptLoops.Add(Task.Run(() => AcceptLoopAsync(listener, socket)));
        }
        long idleMs = _config.ConnectionsMaxIdleMs;
        if (idleMs > 0)
        {
            var period = TimeSpan.FromMilliseconds(Math.Clamp(idleMs / 10, 100, 10_000));
            _idleSweep = new Timer(_ => CloseIdleConnections(idleMs), null, period, period);
        }
    }

    private static IPAddress ResolveBindAddress(string host)
    {
        if (string.IsNullOrEmpty(host) || host == "0.0.0.0")
        {
            return IPAddress.Any;
        }
        if (host == "::" || host == "[::]")
        {
            return IPAddress.IPv6Any;
        }
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            return address;
        }
        var addresses = Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0];
    }

    private async Task AcceptLoopAsync(ListenerEndpoint listener, Socket listenSocket)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listenSocket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                LogAcceptFailed(_logger, listener.Name, e.Message);
                continue;
            }
            socket.NoDelay = true;
            if (_config.SocketSendBufferBytes > 0)
            {
                socket.SendBufferSize = _config.SocketSendBufferBytes;
            }
            if (_config.SocketReceiveBufferBytes > 0)
            {
                socket.ReceiveBufferSize = _config.SocketReceiveBufferBytes;
            }
            long id = Interlocked.Increment(ref _nextConnectionId);
            var connection = new Connection(id, socket, listener.Name, _config.SocketRequestMaxBytes, _dispatcher, _logger,
                zeroCopy: _config.SocketZeroCopyEnable && IsPlaintext(listener.Name), Counters);
            _connections[id] = connection;
            _ = RunConnectionAsync(connection);
        }
    }

    /// <summary>True when the listener carries bytes in the clear, so records can go from the file to the socket untouched.</summary>
    private bool IsPlaintext(string listenerName)
    {
        string protocol = _config.ListenerSecurityProtocolMap.GetValueOrDefault(listenerName, listenerName);
        return protocol is "PLAINTEXT" or "SASL_PLAINTEXT";
    }

    private async Task RunConnectionAsync(Connection connection)
    {
        try
        {
            await connection.RunAsync(_stopping.Token).ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection.Id, out _);
            connection.Dispose();
        }
    }

    private void CloseIdleConnections(long idleMs)
    {
        long now = Environment.TickCount64;
        foreach (var connection in _connections.Values)
        {
            if (!connection.IsBusy && now - connection.LastActivityTicks > idleMs)
            {
                LogIdleClose(_logger, connection.RemoteEndPoint?.ToString(), idleMs);
                connection.Abort();
            }
        }
    }

    /// <summary>Stops accepting, lets each connection finish the request it is handling, then closes them.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        _stopping.Cancel();
        _idleSweep?.Dispose();
        foreach (var (_, socket) in _listeners)
        {
            socket.Dispose();
        }
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        var running = _connections.Values.Select(c => c.Completion).ToArray();
        var all = Task.WhenAll(running);
        if (await Task.WhenAny(all, Task.Delay(timeout)).ConfigureAwait(false) != all)
        {
            foreach (var connection in _connections.Values)
            {
                connection.Abort();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed on listener {Listener}: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string listener, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closing connection from {Remote}: idle for more than {IdleMs} ms (connections.max.idle.ms)")]
    private static partial void LogIdleClose(ILogger logger, string? remote, long idleMs);
}
