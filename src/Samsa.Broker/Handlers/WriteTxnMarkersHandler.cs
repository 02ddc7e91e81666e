using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// WriteTxnMarkers v1: a transaction coordinator asks this broker, as the partitions' leader, to end a producer's
/// transaction in them. Each partition gets the COMMIT or ABORT control batch through <see cref="Cluster.TxnMarkerWriter"/>
/// (the same path this broker's own coordinator uses, which also completes transactional offsets in
/// __consumer_offsets); the producer-state checks answer per partition (an older producer epoch, a fenced coordinator
/// epoch), and a partition not hosted here is UNKNOWN_TOPIC_OR_PARTITION.
/// </summary>
internal sealed class WriteTxnMarkersHandler(BrokerContext broker) : IRequestHandler
{
    public async ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (WriteTxnMarkersRequest)message;
        var response = new WriteTxnMarkersResponse();
        foreach (var marker in request.Markers)
        {
            var result = new WriteTxnMarkersResponse.WritableTxnMarkerResult { ProducerId = marker.ProducerId };
            foreach (var topic in marker.Topics)
            {
                var topicResult = new WriteTxnMarkersResponse.WritableTxnMarkerTopicResult { Name = topic.Name };
                foreach (int index in topic.PartitionIndexes)
                {
                    var partition = new TopicPartition(topic.Name, index);
                    var error = broker.Replicas.GetPartition(partition) is null
                        ? ErrorCode.UnknownTopicOrPartition
                        : await broker.TxnMarkers.WriteMarkerAsync(partition, marker.ProducerId, marker.ProducerEpoch, marker.CoordinatorEpoch,
                            marker.TransactionResult).ConfigureAwait(false);
                    topicResult.Partitions.Add(new WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult { PartitionIndex = index, ErrorCode = (short)error });
                }
                result.Topics.Add(topicResult);
            }
            response.Markers.Add(result);
        }
        return response;
    }
}
