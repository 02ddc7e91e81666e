using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Cluster;
using Samsa.Broker.Config;
using Samsa.Broker.Coordinator.Group;
using Samsa.Broker.Coordinator.Transaction;
using Samsa.Broker.Purgatory;
using Samsa.Broker.Network;
using Samsa.Coordination;
using Samsa.Storage;

namespace Samsa.Broker;

/// <summary>
/// A running Samsa broker: storage, topics, request handlers and listeners. Used by `samsa server start`
/// and embeddable in tests: <c>await using var broker = await SamsaBroker.StartAsync(config);</c>.
/// Thread-safe.
/// </summary>
public sealed partial class SamsaBroker : IAsyncDisposable
{
    /// <summary>Per log directory, Kafka's identity file: version, broker.id and cluster.id.</summary>
    public const string MetaPropertiesFile = "meta.properties";

    private readonly LogManager _logManager;
    private readonly SocketServer _server;
    private readonly ILogger _logger;
    private SystemTimer? _timer;
    private ReplicaManager? _replicas;
    private GroupCoordinator? _groups;
    private TransactionCoordinator? _transactions;
    private LogCleaner? _cleaner;
    private int _stopped;

    private SamsaBroker(BrokerConfig config, LogManager logManager, SocketServer server, string clusterId, ILogger logger)
    {
        Config = config;
        _logManager = logManager;
        _server = server;
        ClusterId = clusterId;
        _logger = logger;
    }

    public BrokerConfig Config { get; }

    /// <summary>The partitions and the fetch purgatory, for in-process tests.</summary>
    internal ReplicaManager Replicas => _replicas!;

    /// <summary>The group coordinator, for in-process tests.</summary>
    internal GroupCoordinator Groups => _groups!;

    /// <summary>The transaction coordinator, for in-process tests.</summary>
    internal TransactionCoordinator Transactions => _transactions!;

    /// <summary>The broker's logs (tests and benchmarks look at recovery points and offline log dirs).</summary>
    internal LogManager LogManager => _logManager;

    public string ClusterId { get; }

    /// <summary>The bound address of each listener (with the real port when port 0 was configured).</summary>
    public IReadOnlyList<(string Name, IPEndPoint EndPoint)> BoundEndpoints => _server.BoundEndpoints;

    /// <summary>Record bytes this broker sent from segment files with sendfile(2) (socket.zero.copy.enable).</summary>
    public long ZeroCopyBytesSent => _server.Counters.ZeroCopyBytes;

    /// <summary>"host:port" of the first listener, for clients in the same process.</summary>
    public string BootstrapServers
    {
        get
        {
            var ep = BoundEndpoints[0].EndPoint;
            string host = ep.Address.Equals(IPAddress.Any) ? "127.0.0.1" : ep.Address.ToString();
            return $"{host}:{ep.Port}";
        }
    }

    public static Task<SamsaBroker> StartAsync(BrokerConfig config, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        time ??= TimeProvider.System;
        var logger = loggerFactory.CreateLogger("Samsa.Broker");
        var started = Stopwatch.StartNew();

        foreach (var dir in config.LogDirs)
        {
            Directory.CreateDirectory(dir);
        }
        var store = EmbeddedMetadataStore.Open(config.LogDirs[0]);
        foreach (var dir in config.LogDirs)
        {
            CheckMetaProperties(dir, config.BrokerId, store.ClusterId);
        }

        var logManager = new LogManager(config.LogDirs, LogConfig.Default, loggerFactory.CreateLogger("Samsa.Storage"), time);
        LogCleaner? cleaner = null;
        ReplicaManager? replicaManager = null;
        try
        {
            logManager.LoadLogs(tp => store.TryGetTopic(tp.Topic, out var topic) ? TopicManager.LogConfigFor(config, topic.Configs) : TopicManager.LogConfigFor(config, new Dictionary<string, string>()));
            cleaner = StartLogCleaner(config, logManager, loggerFactory, time);
            if (config.LogFlushGroupCommitEnable)
            {
                logManager.StartGroupCommit();
            }
            replicaManager = new ReplicaManager(logManager, logger, time, config.FetchPurgatoryPurgeIntervalRequests);
            var topicManager = new TopicManager(config, store, replicaManager, logger);
            topicManager.LoadTopics(logManager.AllLogs.Select(l => l.TopicPartition).ToList());
            logManager.StartBackgroundTasks(new LogScheduleOptions
            {
                RetentionCheckIntervalMs = config.LogRetentionCheckIntervalMs,
                RecoveryPointCheckpointIntervalMs = config.LogFlushOffsetCheckpointIntervalMs,
                LogStartOffsetCheckpointIntervalMs = config.LogFlushStartOffsetCheckpointIntervalMs,
                FlushSchedulerIntervalMs = config.LogFlushSchedulerIntervalMs,
                ProducerIdExpirationMs = config.ProducerIdExpirationMs,
                ProducerIdExpirationCheckIntervalMs = config.ProducerIdExpirationCheckIntervalMs,
            });

            var timer = new SystemTimer(time);
            var groups = new GroupCoordinator(config, topicManager, replicaManager, timer, time, loggerFactory.CreateLogger("Samsa.GroupCoordinator"));
            groups.Startup();
            var context = new BrokerContext(config, store.ClusterId, topicManager, replicaManager, groups, time);
            var transactions = new TransactionCoordinator(config,
                new TransactionStateManager(config, topicManager, replicaManager, time, loggerFactory.CreateLogger("Samsa.TransactionStateManager")),
                new ProducerIdManager(config.LogDirs[0], config.BrokerId), context.TxnMarkers, timer, time,
                loggerFactory.CreateLogger("Samsa.TransactionCoordinator"));
            transactions.Startup();
            context.Transactions = transactions;
            var dispatcher = new RequestDispatcher(context);
            var server = new SocketServer(config, dispatcher, logger);
            server.Start();
            foreach (var (name, endPoint) in server.BoundEndpoints)
            {
                var advertised = config.EffectiveAdvertisedListeners.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));
                string host = advertised?.Host is { Length: > 0 } h && h != "0.0.0.0" && h != "::" ? h : DefaultHost(endPoint);
                int port = advertised is null || advertised.Port == 0 ? endPoint.Port : advertised.Port;
                context.SetAdvertised(name, host, port);
            }
            var broker = new SamsaBroker(config, logManager, server, store.ClusterId, logger) { _timer = timer, _groups = groups, _transactions = transactions, _cleaner = cleaner, _replicas = replicaManager };
            LogStarted(logger, config.BrokerId, started.ElapsedMilliseconds, topicManager.Topics.Count);
            return Task.FromResult(broker);
        }
        catch
        {
            cleaner?.Stop();
            replicaManager?.Dispose();
            logManager.Dispose();
            throw;
        }
    }

    /// <summary>Starts the log cleaner when <c>log.cleaner.enable</c> is set and <c>log.cleaner.threads</c> is above 0.</summary>
    private static LogCleaner? StartLogCleaner(BrokerConfig config, LogManager logManager, ILoggerFactory loggerFactory, TimeProvider time)
    {
        if (!config.LogCleanerEnable || config.LogCleanerThreads == 0)
        {
            return null;
        }

        var cleanerConfig = new CleanerConfig
        {
            Threads = config.LogCleanerThreads,
            DedupeBufferSize = config.LogCleanerDedupeBufferSize,
            DedupeBufferLoadFactor = config.LogCleanerIoBufferLoadFactor,
            IoBufferSize = config.LogCleanerIoBufferSize,
            MaxIoBytesPerSecond = config.LogCleanerIoMaxBytesPerSecond,
            BackoffMs = config.LogCleanerBackoffMs,
        };
        try
        {
            cleanerConfig.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ConfigException($"Invalid log cleaner configuration (log.cleaner.*): {ex.Message}", ex) { Key = "log.cleaner.dedupe.buffer.size" };
        }

        var cleaner = new LogCleaner(logManager, cleanerConfig, loggerFactory.CreateLogger("Samsa.LogCleaner"), time);
        cleaner.Start();
        return cleaner;
    }

    private static string DefaultHost(IPEndPoint bound) =>
        bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any) ? Dns.GetHostName() : bound.Address.ToString();

    /// <summary>Writes meta.properties on first use; refuses a directory that belongs to another broker or cluster.</summary>
    private static void CheckMetaProperties(string dir, int brokerId, string clusterId)
    {
        string path = Path.Combine(dir, MetaPropertiesFile);
        if (File.Exists(path))
        {
            var values = File.ReadAllLines(path)
                .Where(l => l.Contains('=') && !l.TrimStart().StartsWith('#'))
                .Select(l => l.Split('=', 2))
                .ToDictionary(p => p[0].Trim(), p => p[1].Trim());
            if (values.TryGetValue("broker.id", out var id) && id != brokerId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                throw new ConfigException($"Invalid value '{brokerId}' for configuration 'broker.id': the log directory {dir} belongs to broker {id} ({path})") { Key = "broker.id" };
            }
            if (values.TryGetValue("cluster.id", out var cluster) && cluster != clusterId)
            {
                throw new ConfigException($"The log directory {dir} belongs to cluster {cluster}, not {clusterId} ({path})") { Key = "log.dirs" };
            }
            return;
        }
        File.WriteAllText(path, $"#Samsa broker identity\nversion=0\nbroker.id={brokerId}\ncluster.id={clusterId}\n");
    }

    /// <summary>Stops accepting, lets in-flight requests (appends) finish, then flushes and closes the logs.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        _groups?.AbortPendingRequests();
        // Waiting fetches answer now rather than holding the connections open until max.wait.ms.
        _replicas?.CompleteDelayedRequests();
        await _server.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        if (_transactions is not null)
        {
            await _transactions.StopAsync().ConfigureAwait(false);
        }
        _groups?.Dispose();
        _timer?.Dispose();
        _cleaner?.Stop();
        _replicas?.Dispose();
        _logManager.Dispose();
        LogStopped(_logger, Config.BrokerId);
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker {BrokerId} started in {ElapsedMs} ms with {Topics} topics")]
    private static partial void LogStarted(ILogger logger, int brokerId, long elapsedMs, int topics);

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker {BrokerId} stopped; logs flushed and closed")]
    private static partial void LogStopped(ILogger logger, int brokerId);
}
