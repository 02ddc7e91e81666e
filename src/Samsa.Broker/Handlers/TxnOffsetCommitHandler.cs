using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// TxnOffsetCommit v0-3: a transactional producer's consumed offsets, written to __consumer_offsets inside its
/// transaction and visible to OffsetFetch only once the transaction commits. v3 adds the group generation, member id
/// and instance id (KIP-447), checked as OffsetCommit checks them when given.
/// </summary>
internal sealed class TxnOffsetCommitHandler(BrokerContext broker) : IRequestHandler
{
    public async ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (TxnOffsetCommitRequest)message;
        var offsets = new List<(TopicPartition, long, int, string?)>();
        foreach (var topic in request.Topics)
        {
            foreach (var p in topic.Partitions)
            {
                offsets.Add((new TopicPartition(topic.Name, p.PartitionIndex), p.CommittedOffset, p.CommittedLeaderEpoch, p.CommittedMetadata));
            }
        }
        var results = await broker.Groups.CommitTxnOffsetsAsync(request.GroupId, request.ProducerId, request.ProducerEpoch,
            request.GenerationId, request.MemberId, request.GroupInstanceId, offsets).ConfigureAwait(false);
        var response = new TxnOffsetCommitResponse();
        foreach (var topic in request.Topics)
        {
            var topicResponse = new TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic { Name = topic.Name };
            foreach (var p in topic.Partitions)
            {
                topicResponse.Partitions.Add(new TxnOffsetCommitResponse.TxnOffsetCommitResponsePartition
                {
                    PartitionIndex = p.PartitionIndex,
                    ErrorCode = (short)results[new TopicPartition(topic.Name, p.PartitionIndex)],
                });
            }
            response.Topics.Add(topicResponse);
        }
        return response;
    }
}
