using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// CreatePartitions v0-3: grows topics to a new total partition count. Manual assignments must name one replica, this
/// broker, for each new partition (INVALID_REPLICA_ASSIGNMENT otherwise). Stateless; thread-safe.
/// </summary>
internal sealed class CreatePartitionsHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (CreatePartitionsRequest)message;
        var response = new CreatePartitionsResponse();
        var duplicates = request.Topics.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        foreach (var topic in request.Topics)
        {
            var (error, errorMessage) = duplicates.Contains(topic.Name)
                ? (ErrorCode.InvalidRequest, $"Duplicate topic in request: {topic.Name}.")
                : Grow(topic, request.ValidateOnly);
            response.Results.Add(new CreatePartitionsResponse.CreatePartitionsTopicResult
            {
                Name = topic.Name,
                ErrorCode = (short)error,
                ErrorMessage = errorMessage,
            });
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }

    private (ErrorCode Error, string? Message) Grow(CreatePartitionsRequest.CreatePartitionsTopic topic, bool validateOnly)
    {
        if (!broker.Topics.TryGetTopic(topic.Name, out var current))
        {
            return (ErrorCode.UnknownTopicOrPartition, $"Topic '{topic.Name}' does not exist.");
        }
        if (topic.Count <= current.PartitionCount)
        {
            return (ErrorCode.InvalidPartitions, $"Topic currently has {current.PartitionCount} partitions, {topic.Count} would not be an increase.");
        }
        if (topic.Assignments is not null)
        {
            int added = topic.Count - current.PartitionCount;
            if (topic.Assignments.Count != added)
            {
                return (ErrorCode.InvalidReplicaAssignment,
                    $"Increasing the number of partitions by {added} but {topic.Assignments.Count} assignments provided.");
            }
            for (int i = 0; i < topic.Assignments.Count; i++)
            {
                var brokerIds = topic.Assignments[i].BrokerIds;
                if (brokerIds.Count != 1 || brokerIds[0] != broker.BrokerId)
                {
                    return (ErrorCode.InvalidReplicaAssignment,
                        $"Assignment [{string.Join(",", brokerIds)}] for new partition {current.PartitionCount + i}: this cluster has one broker, {broker.BrokerId}, so each partition has exactly that replica.");
                }
            }
        }
        return broker.Topics.CreatePartitions(topic.Name, topic.Count, validateOnly);
    }
}
