using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// OffsetFetch v1-8: committed offsets (-1 where none) of the named partitions, of all partitions
/// (null topics, v2+), and of several groups at once (v8). Metadata comes back as committed. With require_stable
/// (v7+) a partition with a pending transactional offset answers UNSTABLE_OFFSET_COMMIT; as in Kafka that is a
/// partition error only, the group-level error stays NONE.
/// </summary>
internal sealed class OffsetFetchHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (OffsetFetchRequest)message;
        var response = new OffsetFetchResponse();
        bool requireStable = context.ApiVersion >= 7 && request.RequireStable;
        if (context.ApiVersion >= 8)
        {
            foreach (var group in request.Groups)
            {
                var requested = group.Topics?.SelectMany(t => t.PartitionIndexes.Select(p => new TopicPartition(t.Name, p))).ToList();
                var groupResponse = new OffsetFetchResponse.OffsetFetchResponseGroup { GroupId = group.GroupId };
                foreach (var topic in broker.Groups.FetchOffsets(group.GroupId, requested, requireStable).GroupBy(o => o.Partition.Topic))
                {
                    var topicResponse = new OffsetFetchResponse.OffsetFetchResponseTopics { Name = topic.Key };
                    foreach (var (partition, offset, error) in topic)
                    {
                        topicResponse.Partitions.Add(new OffsetFetchResponse.OffsetFetchResponsePartitions
                        {
                            PartitionIndex = partition.Partition,
                            CommittedOffset = offset?.Offset ?? -1,
                            CommittedLeaderEpoch = offset?.LeaderEpoch ?? -1,
                            Metadata = offset is null ? "" : offset.Value.Metadata,
                            ErrorCode = (short)error,
                        });
                    }
                    groupResponse.Topics.Add(topicResponse);
                }
                response.Groups.Add(groupResponse);
            }
            return ValueTask.FromResult<IProtocolMessage?>(response);
        }

        var partitions = request.Topics?.SelectMany(t => t.PartitionIndexes.Select(p => new TopicPartition(t.Name, p))).ToList();
        foreach (var topic in broker.Groups.FetchOffsets(request.GroupId, partitions, requireStable).GroupBy(o => o.Partition.Topic))
        {
            var topicResponse = new OffsetFetchResponse.OffsetFetchResponseTopic { Name = topic.Key };
            foreach (var (partition, offset, error) in topic)
            {
                topicResponse.Partitions.Add(new OffsetFetchResponse.OffsetFetchResponsePartition
                {
                    PartitionIndex = partition.Partition,
                    CommittedOffset = offset?.Offset ?? -1,
                    CommittedLeaderEpoch = offset?.LeaderEpoch ?? -1,
                    Metadata = offset is null ? "" : offset.Value.Metadata,
                    ErrorCode = (short)error,
                });
            }
            response.Topics.Add(topicResponse);
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }
}
