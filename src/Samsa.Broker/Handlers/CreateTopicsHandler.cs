using Samsa.Broker.Config;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>CreateTopics v2-7: validates names, partitions, replication factor and configs as Kafka does.</summary>
internal sealed class CreateTopicsHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (CreateTopicsRequest)message;
        var response = new CreateTopicsResponse();
        var duplicates = request.Topics.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        foreach (var topic in request.Topics)
        {
            var result = new CreateTopicsResponse.CreatableTopicResult { Name = topic.Name };
            response.Topics.Add(result);
            if (duplicates.Contains(topic.Name))
            {
                Fail(result, ErrorCode.InvalidRequest, $"Create topics request contains multiple entries for topic {topic.Name}.");
                continue;
            }
            int numPartitions = topic.NumPartitions == -1 ? broker.Config.NumPartitions : topic.NumPartitions;
            short replicationFactor = topic.ReplicationFactor == -1 ? (short)broker.Config.DefaultReplicationFactor : topic.ReplicationFactor;
            if (topic.Assignments.Count > 0)
            {
                if (topic.NumPartitions != -1 || topic.ReplicationFactor != -1)
                {
                    Fail(result, ErrorCode.InvalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.");
                    continue;
                }
                string? assignmentError = CheckAssignment(topic.Assignments);
                if (assignmentError is not null)
                {
                    Fail(result, ErrorCode.InvalidReplicaAssignment, assignmentError);
                    continue;
                }
                numPartitions = topic.Assignments.Count;
                replicationFactor = (short)topic.Assignments[0].BrokerIds.Count;
            }
            var configs = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var config in topic.Configs)
            {
                configs[config.Name] = config.Value;
            }
            var (error, errorMessage) = broker.Topics.ValidateNewTopic(topic.Name, numPartitions, replicationFactor, configs);
            if (error != ErrorCode.None)
            {
                Fail(result, error, errorMessage);
                continue;
            }
            result.NumPartitions = numPartitions;
            result.ReplicationFactor = replicationFactor;
            result.Configs = DescribeConfigs(configs);
            if (request.ValidateOnly)
            {
                continue;
            }
            var overrides = configs.Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal);
            if (!broker.Topics.CreateTopic(topic.Name, numPartitions, overrides, out var record))
            {
                Fail(result, ErrorCode.TopicAlreadyExists, $"Topic '{topic.Name}' already exists.");
                continue;
            }
            result.TopicId = record.TopicId;
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }

    private string? CheckAssignment(List<CreateTopicsRequest.CreatableReplicaAssignment> assignments)
    {
        var indexes = assignments.Select(a => a.PartitionIndex).OrderBy(i => i).ToList();
        for (int i = 0; i < indexes.Count; i++)
        {
            if (indexes[i] != i)
            {
                return "Partitions should be a consecutive 0-based integer sequence.";
            }
        }
        foreach (var assignment in assignments)
        {
            if (assignment.BrokerIds.Count == 0 || assignment.BrokerIds.Count != assignments[0].BrokerIds.Count)
            {
                return "All partitions should have the same number of replicas.";
            }
            if (assignment.BrokerIds.Any(id => id != broker.BrokerId) || assignment.BrokerIds.Count > 1)
            {
                return $"Unknown broker in replica assignment for partition {assignment.PartitionIndex}.";
            }
        }
        return null;
    }

    /// <summary>The topic's effective configs as CreateTopics v5+ reports them (source 1 = topic override, 5 = default).</summary>
    private List<CreateTopicsResponse.CreatableTopicConfigs> DescribeConfigs(Dictionary<string, string?> requested)
    {
        var overrides = requested.Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal);
        return TopicConfig.Describe(broker.Config, overrides)
            .Select(e => new CreateTopicsResponse.CreatableTopicConfigs
            {
                Name = e.Name,
                Value = e.Value,
                ReadOnly = false,
                ConfigSource = (sbyte)(e.IsDefault ? 5 : 1),
                IsSensitive = false,
            })
            .ToList();
    }

    private static void Fail(CreateTopicsResponse.CreatableTopicResult result, ErrorCode error, string? message)
    {
        result.ErrorCode = (short)error;
        result.ErrorMessage = message;
        result.NumPartitions = -1;
        result.ReplicationFactor = -1;
        result.Configs = null;
    }
}
