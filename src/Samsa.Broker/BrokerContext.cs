using Samsa.Broker.Cluster;
using Samsa.Broker.Config;
using Samsa.Broker.Coordinator.Group;
using Samsa.Broker.Coordinator.Transaction;

namespace Samsa.Broker;

/// <summary>What the request handlers share: configuration, cluster identity and the managers.</summary>
internal sealed class BrokerContext
{
    private readonly Dictionary<string, (string Host, int Port)> _advertised = new(StringComparer.OrdinalIgnoreCase);

    public BrokerContext(BrokerConfig config, string clusterId, TopicManager topics, ReplicaManager replicas, GroupCoordinator groups, TimeProvider time)
    {
        Config = config;
        ClusterId = clusterId;
        Topics = topics;
        Replicas = replicas;
        Groups = groups;
        Time = time;
        TxnMarkers = new TxnMarkerWriter(replicas, groups, time);
    }

    public BrokerConfig Config { get; }

    public int BrokerId => Config.BrokerId;

    public string ClusterId { get; }

    public TopicManager Topics { get; }

    public ReplicaManager Replicas { get; }

    public GroupCoordinator Groups { get; }

    public TimeProvider Time { get; }

    /// <summary>Writes the COMMIT/ABORT markers that end transactions (used by the transaction coordinator).</summary>
    public TxnMarkerWriter TxnMarkers { get; }

    /// <summary>The transaction coordinator; set once at start-up, before the listeners accept connections.</summary>
    public TransactionCoordinator Transactions { get; set; } = null!;

    /// <summary>Sets the host and port clients are told to use for a listener (port resolved once bound).</summary>
    public void SetAdvertised(string listenerName, string host, int port) => _advertised[listenerName] = (host, port);

    public (string Host, int Port) Advertised(string listenerName) =>
        _advertised.TryGetValue(listenerName, out var endpoint) ? endpoint : _advertised.Values.First();
}
