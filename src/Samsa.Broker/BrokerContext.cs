using Samsa.Broker.Cluster;
using Samsa.Broker.Config;
using Samsa.Broker.Coordinator.Group;

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
    }

    public BrokerConfig Config { get; }

    public int BrokerId => Config.BrokerId;

    public string ClusterId { get; }

    public TopicManager Topics { get; }

    public ReplicaManager Replicas { get; }

    public GroupCoordinator Groups { get; }

    public TimeProvider Time { get; }

    /// <summary>Sets the host and port clients are told to use for a listener (port resolved once bound).</summary>
    public void SetAdvertised(string listenerName, string host, int port) => _advertised[listenerName] = (host, port);

    public (string Host, int Port) Advertised(string listenerName) =>
        _advertised.TryGetValue(listenerName, out var endpoint) ? endpoint : _advertised.Values.First();
}
