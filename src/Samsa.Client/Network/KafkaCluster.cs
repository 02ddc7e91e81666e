using System.Collections.Concurrent;
using Samsa.Client.Config;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Client.Network;

/// <summary>
/// What a client knows of the cluster: one connection per broker (opened on first use, reopened after a failure with
/// an exponential backoff between reconnect.backoff.ms and reconnect.backoff.max.ms), and the metadata of the topics
/// the client uses. Metadata is refreshed every metadata.max.age.ms and on demand (<see cref="RequestMetadataUpdate"/>
/// after NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION and connection failures); concurrent refreshes are
/// coalesced into one. Thread-safe.
/// </summary>
public sealed class KafkaCluster : IAsyncDisposable
{
    private readonly (string Host, int Port)[] _bootstrap;
    private readonly string _clientId;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _connectTimeout;
    private readonly int _backoffMs;
    private readonly int _backoffMaxMs;
    private readonly int _metadataMaxAgeMs;
    private readonly bool _allowAutoCreate;
    private readonly ConcurrentDictionary<int, NodeConnection> _nodes = new();
    private readonly ConcurrentDictionary<string, byte> _topics = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closing = new();
    private readonly Timer _refreshTimer;
    private readonly Lock _refreshLock = new();
    private Task<ClusterMetadata>? _refresh;
    private volatile ClusterMetadata _metadata = ClusterMetadata.Empty;
    private int _nextBootstrap;
    private bool _allTopics;

    internal KafkaCluster(ResolvedConfig config)
    {
        _bootstrap = ParseBootstrap(config.String("bootstrap.servers")!);
        _clientId = config.String("client.id") ?? "samsa";
        _requestTimeout = TimeSpan.FromMilliseconds(config.Int("request.timeout.ms"));
        _connectTimeout = TimeSpan.FromMilliseconds(config.Int("socket.connection.setup.timeout.ms"));
        _backoffMs = config.Int("reconnect.backoff.ms");
        _backoffMaxMs = Math.Max(_backoffMs, config.Int("reconnect.backoff.max.ms"));
        _metadataMaxAgeMs = config.Int("metadata.max.age.ms");
        _allowAutoCreate = !config.IsSet("allow.auto.create.topics") || config.Bool("allow.auto.create.topics");
        _refreshTimer = new Timer(static s => ((KafkaCluster)s!).RequestMetadataUpdate(), this, _metadataMaxAgeMs, _metadataMaxAgeMs);
    }

    public ClusterMetadata Metadata => _metadata;

    public string ClientId => _clientId;

    public TimeSpan RequestTimeout => _requestTimeout;

    internal CancellationToken Closing => _closing.Token;

    /// <summary>Parses "host:port,host:port"; throws naming bootstrap.servers when an entry is not HOST:PORT.</summary>
    public static (string Host, int Port)[] ParseBootstrap(string servers)
    {
        var result = new List<(string, int)>();
        foreach (string entry in servers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                result.Add(KafkaConnection.ParseHostPort(entry));
            }
            catch (ArgumentException)
            {
                throw new ArgumentException($"invalid value '{servers}' for configuration property \"bootstrap.servers\": '{entry}' is not HOST:PORT");
            }
        }
        if (result.Count == 0)
        {
            throw new ArgumentException("configuration property \"bootstrap.servers\" is empty");
        }
        return result.ToArray();
    }

    /// <summary>Adds topics the client uses, so that every refresh asks for them.</summary>
    public void TrackTopics(IEnumerable<string> topics)
    {
        bool added = false;
        foreach (string topic in topics)
        {
            added |= _topics.TryAdd(topic, 0);
        }
        if (added)
        {
            RequestMetadataUpdate();
        }
    }

    /// <summary>Every refresh asks for all topics (subscriptions by pattern need them).</summary>
    public void TrackAllTopics()
    {
        _allTopics = true;
        RequestMetadataUpdate();
    }

    /// <summary>Starts a refresh unless one is running.</summary>
    public void RequestMetadataUpdate() => _ = RefreshMetadataAsync();

    /// <summary>Refreshes the metadata of the tracked topics; joins a refresh already under way.</summary>
    public Task<ClusterMetadata> RefreshMetadataAsync()
    {
        lock (_refreshLock)
        {
            if (_refresh is { IsCompleted: false } running)
            {
                return running;
            }
            var refresh = FetchMetadataAsync();
            _refresh = refresh;
            // Failures surface to whoever awaits; a background refresh must not become an unobserved exception.
            refresh.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            return refresh;
        }
    }

    /// <summary>Waits until the metadata knows <paramref name="topic"/> (tracking it), or throws when it cannot be used.</summary>
    public async ValueTask<TopicMetadata> WaitForTopicAsync(string topic, CancellationToken cancellationToken)
    {
        var known = _metadata.Topic(topic);
        if (known is { Error: ErrorCode.None, Partitions.Length: > 0 })
        {
            return known;
        }
        _topics.TryAdd(topic, 0);
        int backoff = _backoffMs;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ClusterMetadata metadata;
            try
            {
                metadata = await RefreshMetadataAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaException)
            {
                metadata = _metadata;
            }
            var t = metadata.Topic(topic);
            if (t is { Error: ErrorCode.None, Partitions.Length: > 0 })
            {
                return t;
            }
            if (t is not null && t.Error is not (ErrorCode.None or ErrorCode.UnknownTopicOrPartition or ErrorCode.LeaderNotAvailable))
            {
                throw new KafkaException(t.Error, $"topic '{topic}': {t.Error}");
            }
            await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            backoff = Math.Min(backoff * 2, Math.Max(_backoffMaxMs, 1000));
        }
    }

    private async Task<ClusterMetadata> FetchMetadataAsync()
    {
        await Task.Yield();
        KafkaException? last = null;
        // Known brokers first, then the bootstrap list, so a cluster that moved still answers.
        var candidates = _metadata.Brokers.Keys.Select(id => (int?)id).Concat(Enumerable.Repeat<int?>(null, _bootstrap.Length)).ToList();
        foreach (int? nodeId in candidates)
        {
            if (_closing.IsCancellationRequested)
            {
                break;
            }
            try
            {
                var connection = nodeId is { } id ? await GetConnectionAsync(id, _closing.Token).ConfigureAwait(false) : await ConnectBootstrapAsync().ConfigureAwait(false);
                try
                {
                    return await RequestMetadataAsync(connection).ConfigureAwait(false);
                }
                finally
                {
                    if (nodeId is null)
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }
            catch (KafkaException e)
            {
                last = e;
            }
        }
        throw last ?? new KafkaException(ErrorCode.NetworkException, "no broker to ask for metadata");
    }

    private async Task<KafkaConnection> ConnectBootstrapAsync()
    {
        var (host, port) = _bootstrap[(int)((uint)Interlocked.Increment(ref _nextBootstrap) % (uint)_bootstrap.Length)];
        return await KafkaConnection.ConnectAsync(host, port, _clientId, _requestTimeout, _connectTimeout, _closing.Token).ConfigureAwait(false);
    }

    private async Task<ClusterMetadata> RequestMetadataAsync(KafkaConnection connection)
    {
        short version = connection.NegotiateVersion(ApiKey.Metadata, 1, 12);
        var request = new MetadataRequest { AllowAutoTopicCreation = _allowAutoCreate };
        if (_allTopics)
        {
            request.Topics = null;
        }
        else
        {
            foreach (string topic in _topics.Keys)
            {
                request.Topics!.Add(new MetadataRequest.MetadataRequestTopic { Name = topic });
            }
        }
        if (request.Topics is { Count: 0 } && version < 1)
        {
            request.Topics = null;
        }
        var response = await connection.SendAsync<MetadataResponse>(request, version, _closing.Token).ConfigureAwait(false);
        var topics = new Dictionary<string, TopicMetadata>(StringComparer.Ordinal);
        foreach (var topic in response.Topics)
        {
            if (topic.Name is null)
            {
                continue;
            }
            var partitions = new PartitionMetadata[topic.Partitions.Count];
            bool dense = true;
            foreach (var p in topic.Partitions)
            {
                if ((uint)p.PartitionIndex >= (uint)partitions.Length)
                {
                    dense = false;
                    break;
                }
                partitions[p.PartitionIndex] = new PartitionMetadata(p.PartitionIndex, p.LeaderId, p.LeaderEpoch, (ErrorCode)p.ErrorCode);
            }
            var error = dense ? (ErrorCode)topic.ErrorCode : ErrorCode.UnknownServerError;
            topics[topic.Name] = new TopicMetadata(topic.Name, error, error == ErrorCode.None ? partitions : [], topic.IsInternal);
        }
        var brokers = response.Brokers.Select(b => new BrokerNode(b.NodeId, b.Host, b.Port, b.Rack)).ToList();
        var metadata = new ClusterMetadata(brokers, topics, response.ControllerId, Environment.TickCount64);
        _metadata = metadata;
        return metadata;
    }

    /// <summary>
    /// The connection to a broker of the current metadata, connecting (or reconnecting after the backoff) when
    /// there is none alive.
    /// </summary>
    public ValueTask<KafkaConnection> GetConnectionAsync(int nodeId, CancellationToken cancellationToken)
    {
        var node = _nodes.GetOrAdd(nodeId, static (id, cluster) => new NodeConnection(cluster, id), this);
        return node.GetAsync(cancellationToken);
    }

    /// <summary>A connection to some broker: a connected one when there is one, else the first the metadata names.</summary>
    public async ValueTask<KafkaConnection> GetAnyConnectionAsync(CancellationToken cancellationToken)
    {
        foreach (var node in _nodes.Values)
        {
            if (node.Current is { IsAlive: true } alive)
            {
                return alive;
            }
        }
        var metadata = _metadata.Brokers.Count > 0 ? _metadata : await RefreshMetadataAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        KafkaException? last = null;
        foreach (int id in metadata.Brokers.Keys)
        {
            try
            {
                return await GetConnectionAsync(id, cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaException e)
            {
                last = e;
            }
        }
        throw last ?? new KafkaException(ErrorCode.NetworkException, "the cluster named no brokers");
    }

    /// <summary>Asks for the coordinator of a group (key type 0) or a transactional id (1) and returns its node id.</summary>
    public async Task<int> FindCoordinatorAsync(sbyte keyType, string key, CancellationToken cancellationToken)
    {
        var connection = await GetAnyConnectionAsync(cancellationToken).ConfigureAwait(false);
        short version = connection.NegotiateVersion(ApiKey.FindCoordinator, 0, 3);
        var request = new FindCoordinatorRequest { Key = key, KeyType = keyType };
        var response = await connection.SendAsync<FindCoordinatorResponse>(request, version, cancellationToken).ConfigureAwait(false);
        var error = (ErrorCode)response.ErrorCode;
        if (error != ErrorCode.None)
        {
            throw new KafkaException(error, $"FindCoordinator for '{key}': {error}{(string.IsNullOrEmpty(response.ErrorMessage) ? "" : ": " + response.ErrorMessage)}");
        }
        if (!_metadata.Brokers.ContainsKey(response.NodeId))
        {
            // The coordinator may be a broker the last metadata did not name; remember where it is.
            AddBroker(new BrokerNode(response.NodeId, response.Host, response.Port, null));
        }
        return response.NodeId;
    }

    private void AddBroker(BrokerNode node)
    {
        var current = _metadata;
        _metadata = new ClusterMetadata(current.Brokers.Values.Append(node), current.Topics, current.ControllerId, current.UpdatedAtMs);
    }

    public async ValueTask DisposeAsync()
    {
        _closing.Cancel();
        await _refreshTimer.DisposeAsync().ConfigureAwait(false);
        foreach (var node in _nodes.Values)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
        _closing.Dispose();
    }

    /// <summary>The connection to one broker, reopened with a backoff after failures. Thread-safe.</summary>
    private sealed class NodeConnection(KafkaCluster cluster, int nodeId) : IAsyncDisposable
    {
        private readonly Lock _lock = new();
        private Task<KafkaConnection>? _connecting;
        private long _nextAttemptMs;
        private int _failures;
        private bool _disposed;

        public KafkaConnection? Current { get; private set; }

        public ValueTask<KafkaConnection> GetAsync(CancellationToken cancellationToken)
        {
            var current = Current;
            if (current is { IsAlive: true })
            {
                return ValueTask.FromResult(current);
            }
            Task<KafkaConnection> connecting;
            lock (_lock)
            {
                if (Current is { IsAlive: true } fresh)
                {
                    return ValueTask.FromResult(fresh);
                }
                if (_connecting is null || _connecting.IsCompleted)
                {
                    _connecting = ConnectAsync();
                }
                connecting = _connecting;
            }
            return new ValueTask<KafkaConnection>(connecting.WaitAsync(cancellationToken));
        }

        private async Task<KafkaConnection> ConnectAsync()
        {
            long wait = _nextAttemptMs - Environment.TickCount64;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), cluster._closing.Token).ConfigureAwait(false);
            }
            var broker = cluster._metadata.Brokers.GetValueOrDefault(nodeId)
                ?? throw new KafkaException(ErrorCode.LeaderNotAvailable, $"broker {nodeId} is not in the metadata");
            if (Current is { } old)
            {
                await old.DisposeAsync().ConfigureAwait(false);
            }
            try
            {
                var connection = await KafkaConnection.ConnectAsync(broker.Host, broker.Port, cluster._clientId,
                    cluster._requestTimeout, cluster._connectTimeout, cluster._closing.Token).ConfigureAwait(false);
                _failures = 0;
                lock (_lock)
                {
                    if (_disposed)
                    {
                        // The cluster closed while this connect was under way: nobody will use or close it.
                        _ = connection.DisposeAsync();
                        throw new ObjectDisposedException(nameof(KafkaCluster));
                    }
                    Current = connection;
                }
                return connection;
            }
            catch (KafkaException)
            {
                int backoff = (int)Math.Min(cluster._backoffMaxMs, (long)cluster._backoffMs << Math.Min(_failures, 20));
                // A random fifth either way, so clients do not reconnect in lockstep.
                _nextAttemptMs = Environment.TickCount64 + (long)(backoff * (0.8 + (Random.Shared.NextDouble() * 0.4)));
                _failures++;
                cluster.RequestMetadataUpdate();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            lock (_lock)
            {
                _disposed = true;
            }
            if (Current is { } connection)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
