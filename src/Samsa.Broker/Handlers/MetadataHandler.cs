using Samsa.Broker.Cluster;
using Samsa.Broker.Coordinator.Group;
using Samsa.Broker.Network;
using Samsa.Coordination;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// Metadata v0-12: this broker, the cluster id, and the topics asked for (all of them for a null list,
/// or an empty list in v0). Unknown topics are created when both the request and
/// auto.create.topics.enable allow it.
/// </summary>
internal sealed class MetadataHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (MetadataRequest)message;
        short version = context.ApiVersion;
        var (host, port) = broker.Advertised(context.ListenerName);
        var response = new MetadataResponse
        {
            ClusterId = broker.ClusterId,
            ControllerId = broker.BrokerId,
        };
        response.Brokers.Add(new MetadataResponse.MetadataResponseBroker { NodeId = broker.BrokerId, Host = host, Port = port });

        bool allTopics = request.Topics is null || (version == 0 && request.Topics.Count == 0);
        if (allTopics)
        {
            foreach (var topic in broker.Topics.Topics.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                response.Topics.Add(Describe(topic));
            }
            return ValueTask.FromResult<IProtocolMessage?>(response);
        }

        bool autoCreate = broker.Config.AutoCreateTopicsEnable && (version < 4 || request.AllowAutoTopicCreation);
        foreach (var requested in request.Topics!)
        {
            if (requested.Name is null)
            {
                // Lookup by topic id (v12).
                var byId = broker.Topics.Topics.FirstOrDefault(t => t.TopicId == requested.TopicId);
                response.Topics.Add(byId is not null
                    ? Describe(byId)
                    : new MetadataResponse.MetadataResponseTopic { Name = null, TopicId = requested.TopicId, ErrorCode = (short)ErrorCode.UnknownTopicId });
                continue;
            }
            string name = requested.Name;
            if (!broker.Topics.TryGetTopic(name, out var topic))
            {
                var error = ErrorCode.UnknownTopicOrPartition;
                if (name == GroupCoordinator.OffsetsTopic)
                {
                    // Internal topic: created with its own partition count and configs, never the defaults.
                    broker.Groups.EnsureOffsetsTopic();
                    error = ErrorCode.None;
                }
                else if (autoCreate)
                {
                    error = broker.Topics.AutoCreateTopic(name);
                }
                if (error != ErrorCode.None || !broker.Topics.TryGetTopic(name, out topic))
                {
                    response.Topics.Add(new MetadataResponse.MetadataResponseTopic { Name = name, ErrorCode = (short)error });
                    continue;
                }
            }
            response.Topics.Add(Describe(topic));
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }

    private MetadataResponse.MetadataResponseTopic Describe(TopicRecord topic)
    {
        var result = new MetadataResponse.MetadataResponseTopic
        {
            Name = topic.Name,
            TopicId = topic.TopicId,
            IsInternal = TopicNames.IsInternal(topic.Name),
        };
        for (int p = 0; p < topic.PartitionCount; p++)
        {
            var partition = broker.Replicas.GetPartition(new TopicPartition(topic.Name, p));
            var replicas = topic.Assignment[p];
            if (partition is not null && partition.Log.IsOffline)
            {
                // As Kafka reports a partition whose only replica's log dir failed: no leader, the replica offline.
                result.Partitions.Add(new MetadataResponse.MetadataResponsePartition
                {
                    PartitionIndex = p,
                    ErrorCode = (short)ErrorCode.LeaderNotAvailable,
                    LeaderId = -1,
                    LeaderEpoch = partition.LeaderEpoch,
                    ReplicaNodes = new List<int>(replicas),
                    IsrNodes = [],
                    OfflineReplicas = new List<int>(replicas),
                });
                continue;
            }
            result.Partitions.Add(new MetadataResponse.MetadataResponsePartition
            {
                PartitionIndex = p,
                ErrorCode = (short)(partition is null ? ErrorCode.LeaderNotAvailable : ErrorCode.None),
                LeaderId = partition is null ? -1 : broker.BrokerId,
                LeaderEpoch = partition?.LeaderEpoch ?? -1,
                ReplicaNodes = new List<int>(replicas),
                IsrNodes = new List<int>(replicas),
            });
        }
        return result;
    }
}
