using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>OffsetCommit v2-8: each commit is in __consumer_offsets before it is acknowledged.</summary>
internal sealed class OffsetCommitHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (OffsetCommitRequest)message;
        var offsets = new List<(TopicPartition, long, int, string?)>();
        foreach (var topic in request.Topics)
        {
            foreach (var p in topic.Partitions)
            {
                offsets.Add((new TopicPartition(topic.Name, p.PartitionIndex), p.CommittedOffset, p.CommittedLeaderEpoch, p.CommittedMetadata));
            }
        }
        var results = broker.Groups.CommitOffsets(request.GroupId, request.GenerationIdOrMemberEpoch, request.MemberId, request.GroupInstanceId, offsets);
        var response = new OffsetCommitResponse();
        foreach (var topic in request.Topics)
        {
            var topicResponse = new OffsetCommitResponse.OffsetCommitResponseTopic { Name = topic.Name };
            foreach (var p in topic.Partitions)
            {
                topicResponse.Partitions.Add(new OffsetCommitResponse.OffsetCommitResponsePartition
                {
                    PartitionIndex = p.PartitionIndex,
                    ErrorCode = (short)results[new TopicPartition(topic.Name, p.PartitionIndex)],
                });
            }
            response.Topics.Add(topicResponse);
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }
}
